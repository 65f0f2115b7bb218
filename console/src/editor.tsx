/**
 * @module console/editor
 * The code editor: CodeMirror 6 with JavaScript, TypeScript, Python or JSON highlighting
 * (switched in place through a compartment, so the undo history survives a language change).
 * Controlled from outside by `value`; changes come back through `onChange`.
 */
import { useEffect, useRef } from 'react';
import { Compartment, EditorState } from '@codemirror/state';
import { EditorView, drawSelection, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
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

export function CodeEditor(props: {
  value: string;
  onChange: (v: string) => void;
  language: EditorLanguage;
  label: string;
  minLines?: number;
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

  return <div className="editor" ref={host} data-language={props.language} />;
}
