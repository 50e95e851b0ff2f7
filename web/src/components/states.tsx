import { messageOf } from '../api';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

/** An error as the API put it, never a stack trace. */
export function ErrorNote({ error, title = 'Could not load this' }: { error: unknown; title?: string }) {
  return (
    <div className="error-note" role="alert">
      <strong>{title}.</strong> {messageOf(error)}
    </div>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="state empty">{children}</p>;
}
