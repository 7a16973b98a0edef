'use client';

import { useEffect, useId, useRef, useState } from 'react';
import { btn, inputBase, inputClass } from '../ui/buttons';
import { Dialog } from '../ui/dialog';
import { describeChar, isPasteLayout, PASTE_LAYOUTS, type PasteLayout, planKeyStrokes } from './paste-layouts';

const LAYOUT_KEY = 'vireo.console.pasteLayout';

/** The layout chosen last time in this browser (guests of one admin tend to share one). */
function savedLayout(): PasteLayout {
  try {
    const saved = localStorage.getItem(LAYOUT_KEY);
    return isPasteLayout(saved) ? saved : 'en-us';
  } catch {
    return 'en-us'; // Storage disabled (privacy settings): the default each time.
  }
}

function saveLayout(layout: PasteLayout): void {
  try {
    localStorage.setItem(LAYOUT_KEY, layout);
  } catch {
    // Storage disabled: the choice lasts as long as the dialog.
  }
}

const refusal = (chars: string[], layout: PasteLayout) => {
  const name = PASTE_LAYOUTS.find((l) => l.id === layout)?.label ?? layout;
  const list = chars.slice(0, 8).map(describeChar).join(', ');
  const more = chars.length > 8 ? ` and ${chars.length - 8} more` : '';
  return `The ${name} layout cannot type ${list}${more}. Nothing was sent.`;
};

/**
 * "Paste text": the text is typed into the guest as key presses of the chosen keyboard layout,
 * which must be the layout the guest itself uses (it turns the keys back into characters).
 */
export function PasteDialog({
  onSend,
  onClose,
}: {
  /** Starts typing; the dialog closes at once (typing a long text takes a while). */
  onSend: (text: string, layout: PasteLayout) => void;
  onClose: () => void;
}) {
  const [text, setText] = useState('');
  const [layout, setLayout] = useState<PasteLayout>('en-us');
  const [error, setError] = useState<string | null>(null);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const formId = useId();
  const layoutId = useId();
  const textId = useId();

  useEffect(() => {
    setLayout(savedLayout());
    textRef.current?.focus();
  }, []);

  const submit = () => {
    if (!text) return;
    const plan = planKeyStrokes(text, layout);
    if (!plan.ok) {
      setError(refusal(plan.unsupported, layout));
      return;
    }
    onSend(text, layout);
    onClose();
  };

  return (
    <Dialog
      title="Paste text as keystrokes"
      testId="console-paste-dialog"
      width="max-w-lg"
      onClose={onClose}
      footer={
        <>
          <button type="button" className={btn.secondary} onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} data-testid="console-paste-send" className={btn.primary} disabled={!text}>
            Type into the VM
          </button>
        </>
      }
    >
      <form
        id={formId}
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <p>The guest turns the keys back into characters with its own keyboard layout: choose that layout here.</p>
        <div className="flex flex-wrap items-center gap-2">
          <label htmlFor={layoutId} className="text-xs font-medium text-zinc-700">
            Guest keyboard layout
          </label>
          <select
            id={layoutId}
            data-testid="console-paste-layout"
            className={`${inputClass} w-auto`}
            value={layout}
            onChange={(e) => {
              const next = e.target.value;
              if (!isPasteLayout(next)) return;
              setLayout(next);
              saveLayout(next);
              setError(null);
            }}
          >
            {PASTE_LAYOUTS.map((l) => (
              <option key={l.id} value={l.id}>
                {l.label}
              </option>
            ))}
          </select>
        </div>
        <div className="space-y-1">
          <label htmlFor={textId} className="text-xs font-medium text-zinc-700">
            Text (Ctrl+Enter types it)
          </label>
          <textarea
            id={textId}
            ref={textRef}
            data-testid="console-paste-text"
            rows={5}
            spellCheck={false}
            aria-invalid={error ? true : undefined}
            className={`${inputBase} block resize-y py-1.5 font-mono text-xs`}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setError(null);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                submit();
              }
            }}
          />
        </div>
        {error && (
          <p role="alert" data-testid="console-paste-error" className="text-xs text-red-700">
            {error}
          </p>
        )}
      </form>
    </Dialog>
  );
}
