/**
 * @module runtime/guest/builtins/events
 * Node's `events`: EventEmitter with the commonly used surface (on/once/off/emit/prepend*,
 * listener introspection, max listeners, the unhandled 'error' rule) and `events.once`.
 * It is a plain constructor function, not a class, because older libraries still write
 * `EventEmitter.call(this)` + `util.inherits`, which a class would reject.
 */

type Listener = ((...args: any[]) => unknown) & { listener?: (...args: any[]) => unknown };
type Name = string | symbol;

interface Emitter {
  _events?: Map<Name, Listener[]>;
  _maxListeners?: number;
  [k: string]: any;
}

const errorMonitor = Symbol('events.errorMonitor');

function invalidListener(): TypeError {
  return Object.assign(new TypeError('The "listener" argument must be of type function'), {
    code: 'ERR_INVALID_ARG_TYPE',
  });
}

function events(em: Emitter): Map<Name, Listener[]> {
  if (!(em._events instanceof Map)) {
    Object.defineProperty(em, '_events', { value: new Map(), enumerable: false, writable: true, configurable: true });
  }
  return em._events!;
}

function add(em: Emitter, name: Name, fn: Listener, prepend: boolean): Emitter {
  if (typeof fn !== 'function') throw invalidListener();
  const map = events(em);
  if (map.has('newListener')) em.emit('newListener', name, fn.listener ?? fn);
  const list = map.get(name) ?? [];
  if (prepend) list.unshift(fn);
  else list.push(fn);
  map.set(name, list);
  return em;
}

function wrapOnce(em: Emitter, name: Name, fn: Listener): Listener {
  if (typeof fn !== 'function') throw invalidListener();
  let fired = false;
  const wrapped: Listener = (...args: unknown[]) => {
    em.removeListener(name, wrapped);
    if (fired) return undefined;
    fired = true;
    return fn.apply(em, args);
  };
  wrapped.listener = fn;
  return wrapped;
}

function EventEmitter(this: Emitter): void {
  events(this);
}

const proto: Record<string, (this: Emitter, ...a: any[]) => any> = {
  on(name: Name, fn: Listener) {
    return add(this, name, fn, false);
  },
  prependListener(name: Name, fn: Listener) {
    return add(this, name, fn, true);
  },
  once(name: Name, fn: Listener) {
    return add(this, name, wrapOnce(this, name, fn), false);
  },
  prependOnceListener(name: Name, fn: Listener) {
    return add(this, name, wrapOnce(this, name, fn), true);
  },
  removeListener(name: Name, fn: Listener) {
    const map = events(this);
    const list = map.get(name);
    if (!list) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === fn || list[i]!.listener === fn) {
        list.splice(i, 1);
        if (list.length === 0) map.delete(name);
        if (map.has('removeListener')) this.emit('removeListener', name, fn);
        break;
      }
    }
    return this;
  },
  removeAllListeners(name?: Name) {
    if (name === undefined) events(this).clear();
    else events(this).delete(name);
    return this;
  },
  emit(name: Name, ...args: unknown[]) {
    const map = events(this);
    if (name === 'error') {
      for (const fn of map.get(errorMonitor)?.slice() ?? []) fn.apply(this, args);
      if (!map.get('error')?.length) {
        const err = args[0];
        if (err instanceof Error) throw err;
        throw Object.assign(new Error(`Unhandled error. (${String(err)})`), {
          code: 'ERR_UNHANDLED_ERROR',
          context: err,
        });
      }
    }
    const list = map.get(name);
    if (!list || list.length === 0) return false;
    for (const fn of list.slice()) fn.apply(this, args);
    return true;
  },
  listeners(name: Name) {
    return (events(this).get(name) ?? []).map((f) => f.listener ?? f);
  },
  rawListeners(name: Name) {
    return (events(this).get(name) ?? []).slice();
  },
  listenerCount(name: Name) {
    return events(this).get(name)?.length ?? 0;
  },
  eventNames() {
    return [...events(this).keys()];
  },
  setMaxListeners(n: number) {
    this._maxListeners = n;
    return this;
  },
  getMaxListeners() {
    return this._maxListeners ?? (EventEmitter as any).defaultMaxListeners;
  },
};
proto.addListener = proto.on!;
proto.off = proto.removeListener!;
for (const [k, v] of Object.entries(proto)) {
  Object.defineProperty(EventEmitter.prototype, k, { value: v, writable: true, configurable: true, enumerable: false });
}

/** `events.once(emitter, name)`: resolves with the arguments of the next emit; rejects on 'error'. */
function once(emitter: Emitter, name: Name): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const onError = (err: unknown): void => {
      emitter.removeListener(name, onEvent);
      reject(err);
    };
    const onEvent = (...args: unknown[]): void => {
      if (name !== 'error') emitter.removeListener('error', onError);
      resolve(args);
    };
    emitter.once(name, onEvent);
    if (name !== 'error') emitter.once('error', onError);
  });
}

export default function factory() {
  const E = EventEmitter as unknown as Record<string, unknown>;
  E.EventEmitter = EventEmitter;
  E.defaultMaxListeners = 10;
  E.errorMonitor = errorMonitor;
  E.captureRejections = false;
  E.once = once;
  E.listenerCount = (em: Emitter, name: Name) => em.listenerCount(name);
  return EventEmitter;
}
