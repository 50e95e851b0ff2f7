import { type ReactNode, useEffect, useId, useRef } from 'react';

/**
 * A modal dialog on the native <dialog>: the browser keeps focus inside and closes it on Escape.
 * Focus goes to the first field (or button) when it opens and back to what opened it when it closes.
 */
export function Dialog({
  open,
  title,
  onClose,
  children,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  /** Set while the dialog is closed by its owner (not by Escape), whose close event is not the user's. */
  const closedByOwner = useRef(false);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog || !open) return undefined;
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLElement>('input, textarea, select, button')?.focus();
    return () => {
      if (dialog.open) {
        closedByOwner.current = true;
        dialog.close();
      }
      opener?.focus();
    };
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onClose={() => {
        // The close event comes a moment later; one the owner caused is no news to the owner.
        if (closedByOwner.current) closedByOwner.current = false;
        else onClose();
      }}
      className="dialog"
    >
      {open && (
        <>
          <h2 id={titleId}>{title}</h2>
          {children}
        </>
      )}
    </dialog>
  );
}
