// The pieces every page is made of: status badges, panels that say why they are empty.
import type { ComponentChildren } from 'preact';
import { ApiError } from './api.ts';
import { statusTone, type Tone } from './status.ts';

export function Badge({ status, tone }: { status: string | null | undefined; tone?: Tone }) {
  return <span class={`badge tone-${tone ?? statusTone(status)}`}>{status ?? '-'}</span>;
}

function ErrorNote({ error }: { error: Error }) {
  if (error instanceof ApiError && error.missingRoute) {
    return <p class="note">Not available on this server.</p>;
  }
  if (error instanceof ApiError && error.status === 403) {
    return <p class="note">Your role does not allow this view.</p>;
  }
  return <p class="note error">{error.message}</p>;
}

export function Panel(props: { title: string; id?: string; error?: Error; loading?: boolean; actions?: ComponentChildren; children?: ComponentChildren; wide?: boolean }) {
  return (
    <section class={props.wide ? 'panel wide' : 'panel'} id={props.id} data-panel={props.id}>
      <header>
        <h2>{props.title}</h2>
        {props.actions && <div class="actions">{props.actions}</div>}
      </header>
      {props.error ? <ErrorNote error={props.error} /> : props.loading ? <p class="note">Loading…</p> : props.children}
    </section>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="note">{children}</p>;
}
