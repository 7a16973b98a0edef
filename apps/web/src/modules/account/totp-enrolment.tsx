'use client';

import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { btn, inputBase } from '../ui/buttons';
import { CopyField } from '../ui/copy-field';
import { ErrorText } from '../ui/error-text';

type Enrolment = RouterOutputs['totp']['begin'];

/** The secret in groups of four, as authenticator apps show keys typed by hand. */
const grouped = (secret: string) => secret.replace(/(.{4})(?=.)/g, '$1 ');

/** Scan (or type) the new secret, then prove it with a current code before it is switched on. */
export function TotpEnrolment({
  enrolment,
  onEnabled,
  onCancel,
}: {
  enrolment: Enrolment;
  onEnabled: (recoveryCodes: string[]) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const [code, setCode] = useState('');
  const codeRef = useRef<HTMLInputElement>(null);
  useEffect(() => codeRef.current?.focus(), []);
  const enable = useMutation(
    trpc.totp.enable.mutationOptions({
      onSuccess: (result) => onEnabled(result.recoveryCodes),
      onError: () => setCode(''),
    }),
  );
  // The server made the SVG (qrcode, offline); as an <img> it cannot run anything.
  const qrSrc = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qrSvg)}`;

  return (
    <div className="space-y-4" data-testid="totp-enrolment">
      <div className="flex flex-col gap-4 sm:flex-row sm:items-start">
        {/* biome-ignore lint/performance/noImgElement: an inline SVG data URL made by the server */}
        <img
          src={qrSrc}
          alt="QR code of the new two-factor secret"
          data-testid="totp-qr"
          width={192}
          height={192}
          className="size-48 shrink-0 rounded-md border border-zinc-200 bg-white"
        />
        <div className="min-w-0 flex-1 space-y-3 text-sm text-zinc-700">
          <p>
            <span className="font-medium text-zinc-900">1.</span> Scan this QR code with your authenticator app.
          </p>
          <div className="space-y-1">
            <p>Or enter this key by hand (time-based, SHA-1, 6 digits, 30 s):</p>
            <CopyField value={grouped(enrolment.secret)} testId="totp-secret" />
          </div>
          <form
            className="space-y-1"
            onSubmit={(e) => {
              e.preventDefault();
              enable.mutate({ passcode: code.trim() });
            }}
          >
            <label htmlFor="totp-enable-code" className="block">
              <span className="font-medium text-zinc-900">2.</span> Enter the 6-digit code the app shows now:
            </label>
            <div className="flex flex-wrap gap-2">
              {/* inputBase is w-full: the wrapper sets the width, a code is short */}
              <div className="w-40">
                <input
                  id="totp-enable-code"
                  ref={codeRef}
                  data-testid="totp-enable-code"
                  className={`${inputBase} h-8 font-mono tracking-widest`}
                  autoComplete="one-time-code"
                  inputMode="numeric"
                  placeholder="123456"
                  maxLength={8}
                  value={code}
                  aria-invalid={enable.error ? true : undefined}
                  onChange={(e) => setCode(e.target.value)}
                />
              </div>
              <button
                type="submit"
                data-testid="totp-enable-submit"
                className={`${btn.primary} h-8`}
                disabled={enable.isPending || code.trim().length < 6}
              >
                {enable.isPending ? 'Checking…' : 'Turn on'}
              </button>
              <button type="button" className={`${btn.ghost} h-8`} onClick={onCancel}>
                Cancel
              </button>
            </div>
          </form>
          <ErrorText error={enable.error} testId="totp-enable-error" />
        </div>
      </div>
    </div>
  );
}
