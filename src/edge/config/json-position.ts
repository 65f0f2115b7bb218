/**
 * @module edge/config/json-position
 * Where a JSON text first goes wrong. Node 20's `JSON.parse` errors often omit the position
 * ("Unexpected token ',', ... is not valid JSON"), so the loader runs this small RFC 8259
 * scanner after a failed parse to point at a line and column. Only called on the error path.
 */

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

class Scan {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void {
    while (this.i < this.s.length && WS.has(this.s.charCodeAt(this.i))) this.i++;
  }
  fail(): never {
    throw this.i;
  }
  eat(c: string): void {
    if (this.s[this.i] !== c) this.fail();
    this.i++;
  }
  value(depth: number): void {
    if (depth > 512) this.fail();
    this.ws();
    const c = this.s[this.i];
    if (c === '{') this.object(depth);
    else if (c === '[') this.array(depth);
    else if (c === '"') this.string();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) this.number();
    else this.literal();
  }
  object(depth: number): void {
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') return void this.i++;
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail();
      this.string();
      this.ws();
      this.eat(':');
      this.value(depth + 1);
      this.ws();
      if (this.s[this.i] === '}') return void this.i++;
      this.eat(',');
    }
  }
  array(depth: number): void {
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') return void this.i++;
    for (;;) {
      this.value(depth + 1);
      this.ws();
      if (this.s[this.i] === ']') return void this.i++;
      this.eat(',');
    }
  }
  string(): void {
    this.i++;
    for (;;) {
      const c = this.s.charCodeAt(this.i);
      if (Number.isNaN(c) || c < 0x20) this.fail();
      this.i++;
      if (c === 0x22) return;
      if (c === 0x5c) {
        const e = this.s[this.i];
        if (e === 'u') {
          if (!/^[0-9A-Fa-f]{4}$/.test(this.s.slice(this.i + 1, this.i + 5))) this.fail();
          this.i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) this.i++;
        else this.fail();
      }
    }
  }
  number(): void {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail();
    this.i += m[0].length;
  }
  literal(): void {
    for (const word of ['true', 'false', 'null']) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return;
      }
    }
    this.fail();
  }
}

/** The 0-based offset of the first syntax error in `text`, or -1 when it is valid JSON. */
export function jsonErrorOffset(text: string): number {
  const scan = new Scan(text);
  try {
    scan.value(0);
    scan.ws();
    return scan.i === text.length ? -1 : scan.i;
  } catch (at) {
    if (typeof at === 'number') return at;
    throw at;
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}
