/**
 * @module console/editor
 * The code editor: CodeMirror 6 with JavaScript, TypeScript, Python or JSON highlighting
 * (switched in place through a compartment, so the undo history survives a language change).
 * Controlled from outside by `value`; changes come back through `onChange`. A `problem` (the
 * deploy gate's compile error: line, column, message) marks its line and scrolls to it.
 */
import { useEffect, useRef } from 'react';
import { Compartment, EditorState, StateEffect, StateField, type Extension } from '@codemirror/state';
import {
  Decoration,
  EditorView,
  drawSelection,
  highlightActiveLine,
  keymap,
  lineNumbers,
  type DecorationSet,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { javascript } from '@codemirror/lang-javascript';
import { python } from '@codemirror/lang-python';

export type EditorLanguage = 'javascript' | 'typescript' | 'python' | 'json';

function languageExt(lang: EditorLanguage) {
  if (lang === 'python') return python();
  if (lang === 'typescript') return javascript({ typescript: true });
  return javascript();
}

/** The language a file name implies. */
export function languageOf(filename: string): EditorLanguage {
  if (/\.py$/.test(filename)) return 'python';
  if (/\.(ts|mts|cts)$/.test(filename)) return 'typescript';
  if (/\.json$/.test(filename)) return 'json';
  return 'javascript';
}

/** A line the code cannot load at (1-based, as the engine reports it). */
export interface EditorProblem {
  line: number;
  column?: number;
  message: string;
}

const setProblem = StateEffect.define<number | null>();
const problemLine = Decoration.line({ class: 'cm-problem-line' });

/** Marks one line (or none); any edit clears the mark, since the reported position is then stale. */
const problemField: Extension = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    for (const e of tr.effects) {
      if (!e.is(setProblem)) continue;
      if (e.value === null || e.value < 1 || e.value > tr.state.doc.lines) return Decoration.none;
      return Decoration.set([problemLine.range(tr.state.doc.line(e.value).from)]);
    }
    return tr.docChanged ? Decoration.none : marks;
  },
  provide: (f) => EditorView.decorations.from(f),
});

export function CodeEditor(props: {
  value: string;
  onChange: (v: string) => void;
  language: EditorLanguage;
  label: string;
  minLines?: number;
  problem?: EditorProblem | undefined;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const lang = useRef(new Compartment());
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;

  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: props.value,
        extensions: [
          lineNumbers(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          lang.current.of(languageExt(props.language)),
          problemField,
          EditorView.contentAttributes.of({ 'aria-label': props.label }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChange.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
    // Created once; value and language are synced by the effects below.
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  useEffect(() => {
    view.current?.dispatch({ effects: lang.current.reconfigure(languageExt(props.language)) });
  }, [props.language]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const line = props.problem?.line ?? null;
    const inDoc = line !== null && line >= 1 && line <= v.state.doc.lines;
    v.dispatch({
      effects: [
        setProblem.of(line),
        ...(inDoc ? [EditorView.scrollIntoView(v.state.doc.line(line).from, { y: 'center' })] : []),
      ],
    });
  }, [props.problem]);

  const p = props.problem;
  return (
    <>
      <div className="editor" ref={host} data-language={props.language} data-problem-line={p?.line} />
      {p && (
        <em className="field-error editor-problem" role="alert" data-problem-line={p.line}>
          Line {p.line}
          {p.column ? `, column ${p.column}` : ''}: {p.message}
        </em>
      )}
    </>
  );
}
