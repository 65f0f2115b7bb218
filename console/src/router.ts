/**
 * @module console/router
 * A hash router (`#/functions/auth`): the console is one static page, so deep links work
 * without server rewrites and reloads keep the place.
 */
import { useEffect, useState } from 'react';

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
