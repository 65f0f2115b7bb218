/**
 * @module console/ui
 * Small shared pieces: the data-loading hook, form fields that show the API's error for
 * their JSON path, the error banner, status badges, and the error boundary that turns any
 * render error into a friendly message (never a stack trace).
 */
import { Component, createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { fieldProblem, isClientError, messageOf, otherProblems, type VergeClient } from './api.js';

export const ClientContext = createContext<VergeClient | null>(null);

export function useClient(): VergeClient {
  const c = useContext(ClientContext);
  if (!c) throw new Error('not signed in');
  return c;
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads `fn` now, when `deps` change, and every `pollMs` if given. */
export function useLoad<T>(fn: (c: VergeClient) => Promise<T>, deps: unknown[], pollMs?: number): Loaded<T> {
  const client = useClient();
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let live = true;
    const run = () =>
      fnRef.current(client).then(
        (data) => live && setState({ data, error: undefined, loading: false }),
        (error: unknown) => live && setState((s) => ({ data: s.data, error, loading: false })),
      );
    void run();
    const timer = pollMs ? setInterval(run, pollMs) : undefined;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [client, tick, pollMs, ...deps]);
  return { ...state, reload };
}

/** A labelled input that shows the API's message for `path` (`$.name`) under it. */
/**
 * One action a page runs on a click (delete a row, say) and the error it last refused with:
 * `run` clears the error, awaits the call and reports whether it succeeded, keeping the error to
 * show (FormError) when it did not; `busy` is true while a call runs (to disable its button).
 */
export function useAction(): {
  error: unknown;
  busy: boolean;
  run: (call: () => Promise<unknown>) => Promise<boolean>;
  clear: () => void;
} {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (call: () => Promise<unknown>) => {
    setError(undefined);
    setBusy(true);
    try {
      await call();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(undefined), []);
  return { error, busy, run, clear };
}

export function Field(props: {
  label: string;
  error?: unknown;
  path?: string | string[];
  hint?: string;
  children: ReactNode;
}) {
  const paths = props.path === undefined ? [] : Array.isArray(props.path) ? props.path : [props.path];
  const problem = paths.length ? fieldProblem(props.error, ...paths) : undefined;
  return (
    <label className={'field' + (problem ? ' bad' : '')}>
      <span>{props.label}</span>
      {props.children}
      {problem ? (
        <em className="field-error" role="alert" data-path={paths[0]}>
          {problem}
        </em>
      ) : props.hint ? (
        <em className="muted small">{props.hint}</em>
      ) : null}
    </label>
  );
}

/** The form-level error: the message plus any field problems no field claimed. */
export function FormError(props: { error: unknown; claimed?: string[] }) {
  if (!props.error) return null;
  const rest = otherProblems(props.error, props.claimed ?? []);
  // When every problem is shown at its field, the banner only points there (the API's message
  // repeats the first problem, which the field already shows).
  const allClaimed = isClientError(props.error) && props.error.fields.length > 0 && rest.length === 0;
  return (
    <div className="alert" role="alert">
      {allClaimed
        ? 'Check the highlighted fields.'
        : rest.length > 0 && messageOf(props.error).startsWith(rest[0]!.path)
          ? 'Fix these problems:'
          : messageOf(props.error)}
      {rest.length > 0 && (
        <ul>
          {rest.map((f) => (
            <li key={f.path + f.message}>
              <code>{f.path}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function LoadError(props: { error: unknown }) {
  if (!props.error) return null;
  return <div className="alert">{messageOf(props.error)}</div>;
}

const TONES: Record<string, string> = {
  healthy: 'ok',
  Deployed: 'ok',
  Completed: 'ok',
  applied: 'ok',
  ok: 'ok',
  stale: 'warn',
  InProgress: 'warn',
  waiting: 'warn',
  down: 'bad',
  failed: 'bad',
  error: 'bad',
};

export function Badge(props: { value: string; tone?: string }) {
  return <span className={'badge ' + (props.tone ?? TONES[props.value] ?? '')}>{props.value}</span>;
}

export function Empty(props: { children: ReactNode }) {
  return <div className="empty">{props.children}</div>;
}

export function ago(t: string | number | null | undefined): string {
  if (t === null || t === undefined || t === '') return 'never';
  const ms = typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms)) return String(t);
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** `1 version`, `2 versions`: a count with its noun. */
export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

/** Catches render errors anywhere below it and shows a friendly message instead of a stack. */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }
  override componentDidCatch(error: unknown): void {
    // The details go to the browser console for whoever debugs; the page stays friendly.
    console.error('console page failed to render', error);
  }
  override componentDidUpdate(prev: { resetKey?: string }): void {
    if (this.state.failed && prev.resetKey !== this.props.resetKey) this.setState({ failed: false });
  }
  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <div className="card boundary" role="alert">
        <h2>Something went wrong on this page</h2>
        <p className="muted">
          The console could not show this page. Your changes on the server are not affected. Try again, or go back to
          the overview.
        </p>
        <div className="row">
          <button className="btn primary" onClick={() => this.setState({ failed: false })}>
            Try again
          </button>
          <a className="btn" href="#/">
            Overview
          </a>
        </div>
      </div>
    );
  }
}

/**
 * A destructive button that asks first, inline (no browser dialog): the first click shows
 * "Confirm" and "Cancel"; Confirm runs `onConfirm`.
 */
export function ConfirmButton(props: {
  label: string;
  question: string;
  onConfirm: () => void;
  disabled?: boolean;
  small?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const size = props.small ? ' small' : '';
  if (!asking)
    return (
      <button type="button" className={'btn danger' + size} disabled={props.disabled} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  return (
    <span className="confirm" role="group" aria-label={props.question}>
      <span className="small">{props.question}</span>{' '}
      <button
        type="button"
        className={'btn danger' + size}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        Confirm
      </button>{' '}
      <button type="button" className={'btn ghost' + size} onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** A row of tabs (`role=tab`); the page keeps which one is open (in state or in the route). */
export function Tabs<T extends string>(props: { labels: Record<T, string>; current: T; onSelect: (tab: T) => void }) {
  return (
    <div className="tabs" role="tablist">
      {(Object.keys(props.labels) as T[]).map((t) => (
        <button
          key={t}
          role="tab"
          aria-selected={props.current === t}
          className={props.current === t ? 'on' : ''}
          onClick={() => props.onSelect(t)}
        >
          {props.labels[t]}
        </button>
      ))}
    </div>
  );
}
