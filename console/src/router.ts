/**
 * @module console/router
 * A hash router (`#/functions/auth`): the console is one static page, so deep links work
 * without server rewrites and reloads keep the place; `/functions/auth` typed without the hash
 * is moved into it.
 */
import { useEffect, useState } from 'react';

// An address typed without the hash (`/functions/auth`) gets this page too (the server's
// single-page fallback): move the path into the hash so it opens that page, not the overview.
if (!location.hash && location.pathname !== '/')
  history.replaceState(null, '', `/#${location.pathname}${location.search}`);

export function currentPath(): string {
  const h = location.hash.replace(/^#/, '');
  return h.startsWith('/') ? h : '/';
}

export function useRoute(): string[] {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const on = () => setPath(currentPath());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return path.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
}

export function go(path: string): void {
  location.hash = path;
}

export function href(...parts: string[]): string {
  return '#/' + parts.map(encodeURIComponent).join('/');
}
