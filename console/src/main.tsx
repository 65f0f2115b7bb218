/**
 * @module console/main
 * The console's entry: sign-in gate, the navigation shell, and the page for the current hash
 * route, each page inside an error boundary.
 */
import { StrictMode, Suspense, lazy, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { clientFor, storeToken, storedToken } from './api.js';
import { useRoute } from './router.js';
import { ClientContext, ErrorBoundary } from './ui.js';
import { SignIn } from './pages/sign-in.js';
import { Overview } from './pages/overview.js';
import { AddTrigger } from './pages/add-trigger.js';
import { LogsPage } from './pages/logs.js';
import { KeysPage } from './pages/keys.js';
import { PopsPage, TokensPage } from './pages/admin.js';

// The editor (CodeMirror) and the charts (uPlot) are most of the bundle: load them with the
// pages that use them, so sign-in and the overview come up fast.
const FunctionsPage = lazy(() => import('./pages/functions.js').then((m) => ({ default: m.FunctionsPage })));
const FunctionDetail = lazy(() => import('./pages/function-detail.js').then((m) => ({ default: m.FunctionDetail })));
const DistributionsPage = lazy(() =>
  import('./pages/distributions.js').then((m) => ({ default: m.DistributionsPage })),
);
const DeploymentsPage = lazy(() => import('./pages/deployments.js').then((m) => ({ default: m.DeploymentsPage })));
const MetricsPage = lazy(() => import('./pages/metrics.js').then((m) => ({ default: m.MetricsPage })));

const NAV: Array<[string, string]> = [
  ['', 'Overview'],
  ['functions', 'Functions'],
  ['distributions', 'Distributions'],
  ['deployments', 'Deployments'],
  ['keys', 'Signing keys'],
  ['logs', 'Logs'],
  ['metrics', 'Metrics'],
  ['pops', 'PoPs'],
  ['tokens', 'API tokens'],
];

function Page(props: { route: string[] }) {
  const [a, b, c] = props.route;
  if (a === 'functions' && b && c === 'trigger') return <AddTrigger name={b} />;
  if (a === 'functions' && b) return <FunctionDetail name={b} />;
  if (a === 'functions') return <FunctionsPage />;
  if (a === 'distributions') return <DistributionsPage selected={b} tab={c} />;
  if (a === 'keys') return <KeysPage />;
  if (a === 'deployments') return <DeploymentsPage />;
  if (a === 'pops') return <PopsPage />;
  if (a === 'tokens') return <TokensPage />;
  if (a === 'logs' && b === 'request' && c) return <LogsPage requestId={c} />;
  if (a === 'logs') return <LogsPage />;
  if (a === 'metrics') return <MetricsPage />;
  return <Overview />;
}

function App() {
  const [token, setToken] = useState(storedToken);
  const route = useRoute();
  const client = useMemo(() => (token ? clientFor(token) : null), [token]);
  if (!client) {
    return (
      <SignIn
        onSignedIn={(t) => {
          storeToken(t);
          setToken(t);
        }}
      />
    );
  }
  const section = route[0] ?? '';
  return (
    <ClientContext.Provider value={client}>
      <div className="shell">
        <nav className="nav" aria-label="Main">
          <div className="brand">
            <span>▼</span> Verge
          </div>
          {NAV.map(([path, label]) => (
            <a key={path} href={'#/' + path} className={section === path ? 'on' : ''}>
              {label}
            </a>
          ))}
          <div className="spacer" />
          <button
            className="btn ghost small"
            onClick={() => {
              storeToken(null);
              setToken(null);
            }}
          >
            Sign out
          </button>
        </nav>
        <main className="main">
          <ErrorBoundary resetKey={route.join('/')}>
            <Suspense fallback={<p className="muted">Loading…</p>}>
              <Page route={route} />
            </Suspense>
          </ErrorBoundary>
        </main>
      </div>
    </ClientContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary>
      <App />
    </ErrorBoundary>
  </StrictMode>,
);
