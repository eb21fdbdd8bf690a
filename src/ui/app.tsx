// The dashboard: sign-in (unless the server needs none), then the page the URL's fragment names.
import { useEffect, useState } from 'preact/hooks';
import { onUnauthorized, storedToken, storeToken } from './api.ts';
import { Login } from './login.tsx';
import { LoadBalancerList, LoadBalancerPage } from './loadbalancers.tsx';
import { OperatorPage } from './operator.tsx';
import { parseRoute, routeHref, type Route } from './route.ts';
import { probeSession, type Session } from './session.ts';

type State = { phase: 'checking' } | { phase: 'login'; expired: boolean } | { phase: 'in'; session: Session } | { phase: 'failed'; message: string };

function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  return route;
}

export function App() {
  const [state, setState] = useState<State>({ phase: 'checking' });
  const route = useRoute();

  useEffect(() => {
    onUnauthorized(() => {
      storeToken(null);
      setState({ phase: 'login', expired: true });
    });
    probeSession(storedToken()).then(
      (session) => setState(session ? { phase: 'in', session } : { phase: 'login', expired: false }),
      (err: Error) => setState({ phase: 'failed', message: err.message }),
    );
  }, []);

  if (state.phase === 'checking') return <p class="note center">Connecting…</p>;
  if (state.phase === 'failed') return <p class="note error center">The API did not answer: {state.message}</p>;
  if (state.phase === 'login') {
    return (
      <Login
        expired={state.expired}
        onSignedIn={(token, session) => {
          storeToken(token);
          setState({ phase: 'in', session });
        }}
      />
    );
  }
  const { session } = state;
  return (
    <>
      <nav class="top">
        <a class="brand" href={routeHref({ page: 'loadbalancers' })}>
          <span class="logo">◆</span> Fulcrum
        </a>
        <a href={routeHref({ page: 'loadbalancers' })} class={route.page !== 'operator' ? 'current' : ''}>
          Load balancers
        </a>
        {session.operator && (
          <a href={routeHref({ page: 'operator' })} class={route.page === 'operator' ? 'current' : ''}>
            Operations
          </a>
        )}
        <span class="spacer" />
        {session.open ? (
          <span class="pill" title="The server runs without authentication: every project is shown.">
            noauth · all projects
          </span>
        ) : (
          <button
            type="button"
            class="link"
            onClick={() => {
              storeToken(null);
              setState({ phase: 'login', expired: false });
            }}
          >
            Sign out
          </button>
        )}
      </nav>
      <main class="content">
        {route.page === 'loadbalancers' && <LoadBalancerList />}
        {route.page === 'loadbalancer' && <LoadBalancerPage id={route.id} operator={session.operator} />}
        {route.page === 'operator' && (session.operator ? <OperatorPage /> : <p class="note">The operations page needs an administrator's token.</p>)}
      </main>
    </>
  );
}
