/**
 * @module runtime/host/cff-js1-syntax
 * The language check of `cloudfront-js-1.0` (spec 8.3; AWS's "JavaScript runtime 1.0 features
 * for CloudFront Functions", which says it lists all the supported language features): ES 5.1
 * plus template literals, arrow functions, rest parameters and `**`. Everything else that is
 * syntax refuses the code at load, so at create, publish, `verge functions test` and `verge
 * invoke` alike, with the message CloudFront's 1.0 parser gives, `SyntaxError: Token "let" not
 * supported in this version`, at the file, line and column, and what to do instead.
 *
 * The engine under Verge (V8) would run all of it, so without this check code written for 1.0
 * would pass here and be refused by CloudFront (peers.md section 2, #17: refused only at publish).
 *
 * Refused, beyond what AWS's page lists: `let`/`const`, `class`, `async`/`await`, generators and
 * `yield`, `for...of`, destructuring, default parameter values, object spread, `import`/`export`,
 * `super`, `new.target`, `debugger`, and the ES2019+ syntax (optional catch binding, `?.`, `??`,
 * logical assignment, BigInt literals, numeric separators). Kept: what the 1.0 engine accepts
 * without the page naming it (array and call spread, shorthand and computed object keys, tagged
 * templates, getters and setters). docs/lambda-edge-compat.md records the list and its source.
 */
import { parse, type Node } from 'acorn';

/** One construct cloudfront-js-1.0 does not have: the token CloudFront names, where, and why. */
export interface Js1Refusal {
  token: string;
  line: number;
  /** 1-based. */
  column: number;
  /** What to do instead. */
  hint: string;
}

const TWO = 'cloudfront-js-2.0 has it';

type Any = Node & Record<string, unknown>;

/** The first construct of `text` that cloudfront-js-1.0 does not support, or null. */
export function findJs1Refusal(text: string): Js1Refusal | null {
  // Parsed as the newest JavaScript so that every later construct is found and named, rather
  // than failing as an unexpected token; a plain syntax error is left to the compiler after.
  let ast: Node;
  try {
    ast = parse(text, { ecmaVersion: 'latest', sourceType: 'module', locations: true, allowHashBang: false });
  } catch {
    return null;
  }
  let found: Js1Refusal | null = null;
  const refuse = (n: Node, token: string, hint: string): void => {
    if (found) return;
    const at = n.loc!.start;
    found = { token, line: at.line, column: at.column + 1, hint };
  };
  const visit = (n: Any): void => {
    if (found) return;
    const why = refusalOf(n, text);
    if (why) refuse(why.node ?? n, why.token, why.hint);
    for (const key of Object.keys(n)) {
      if (key === 'loc') continue;
      const v = n[key];
      if (Array.isArray(v)) {
        for (const c of v) if (isNode(c)) visit(c);
      } else if (isNode(v)) visit(v);
    }
  };
  visit(ast as Any);
  return found;
}

function isNode(v: unknown): v is Any {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

function refusalOf(n: Any, text: string): { token: string; hint: string; node?: Node } | null {
  switch (n.type) {
    case 'VariableDeclaration':
      if (n.kind !== 'var') return { token: String(n.kind), hint: `declare it with var (${TWO})` };
      return null;
    case 'ClassDeclaration':
    case 'ClassExpression':
      return { token: 'class', hint: 'use a constructor function and its prototype' };
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      if (n.async) return { token: 'async', hint: `return the value; there are no async functions (${TWO})` };
      if (n.generator) return { token: '*', hint: 'generators are not supported' };
      return null;
    case 'AwaitExpression':
      return { token: 'await', hint: `there is no await (${TWO})` };
    case 'YieldExpression':
      return { token: 'yield', hint: 'generators are not supported' };
    case 'ForOfStatement':
      return n.await
        ? { token: 'await', hint: `there is no await (${TWO})` }
        : { token: 'of', hint: 'loop with for (var i = 0; i < list.length; i++) or forEach' };
    case 'ObjectPattern':
      return { token: '{', hint: 'destructuring is not supported: read the properties one by one' };
    case 'ArrayPattern':
      return { token: '[', hint: 'destructuring is not supported: read the elements by index' };
    case 'AssignmentPattern':
      return { token: '=', hint: 'default parameter values are not supported: test for undefined in the body' };
    case 'ObjectExpression': {
      const spread = (n.properties as Any[]).find((p) => p.type === 'SpreadElement');
      return spread ? { token: '...', hint: 'object spread is not supported: use Object.assign', node: spread } : null;
    }
    case 'ImportDeclaration':
    case 'ImportExpression':
      return { token: 'import', hint: `load modules with require('crypto') or require('querystring') (${TWO})` };
    case 'ExportNamedDeclaration':
    case 'ExportDefaultDeclaration':
    case 'ExportAllDeclaration':
      return { token: 'export', hint: 'declare a top-level function handler(event) without export' };
    case 'Super':
      return { token: 'super', hint: 'classes are not supported' };
    case 'MetaProperty':
      return { token: `${(n.meta as Any).name}.${(n.property as Any).name}`, hint: 'not supported' };
    case 'DebuggerStatement':
      return { token: 'debugger', hint: 'remove it' };
    case 'CatchClause':
      return n.param === null ? { token: '{', hint: 'name the error: catch (e) { ... }' } : null;
    case 'ChainExpression':
      return { token: '?.', hint: 'test each step: a && a.b' };
    case 'LogicalExpression':
      return n.operator === '??' ? { token: '??', hint: 'test for null and undefined explicitly' } : null;
    case 'AssignmentExpression':
      return ['??=', '||=', '&&='].includes(n.operator as string)
        ? { token: String(n.operator), hint: 'write the assignment out: a = a || b' }
        : null;
    case 'Literal': {
      if (n.bigint !== undefined) return { token: String(n.raw), hint: 'BigInt is not supported' };
      const raw = text.slice(n.start, n.end);
      if (typeof n.value === 'number' && raw.includes('_'))
        return { token: raw, hint: 'numeric separators are not supported: write the number without _' };
      return null;
    }
    default:
      return null;
  }
}

/** CloudFront's wording for a refusal, with Verge's hint after it. */
export function js1Message(r: Js1Refusal): string {
  return `SyntaxError: Token "${r.token}" not supported in this version (cloudfront-js-1.0: ${r.hint})`;
}
