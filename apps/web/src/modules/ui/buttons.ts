/** Button looks, as class strings (plain <button>/<Link> keep their own semantics). */
const base =
  'inline-flex h-7 items-center justify-center gap-1.5 rounded-md px-2.5 text-sm font-medium whitespace-nowrap ' +
  'focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-sky-600 ' +
  'disabled:cursor-not-allowed disabled:opacity-45';

export const btn = {
  primary: `${base} bg-teal-700 text-white shadow-sm hover:bg-teal-800 disabled:hover:bg-teal-700`,
  secondary: `${base} border border-zinc-300 bg-white text-zinc-800 shadow-xs hover:bg-zinc-50 disabled:hover:bg-white`,
  danger: `${base} border border-red-300 bg-white text-red-700 shadow-xs hover:bg-red-50 disabled:hover:bg-white`,
  dangerSolid: `${base} bg-red-600 text-white shadow-sm hover:bg-red-700 disabled:hover:bg-red-600`,
  ghost: `${base} text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900`,
};

/**
 * An input's look without its height. Two height utilities on one element do not override each
 * other by order in the class string but by their order in the stylesheet (h-8 beats h-7), so a
 * field that sits beside h-7 buttons takes this and adds its own height.
 */
export const inputBase =
  'w-full rounded-md border border-zinc-300 bg-white px-2.5 text-sm text-zinc-900 shadow-xs ' +
  'placeholder:text-zinc-400 focus:border-sky-600 focus:outline-none focus:ring-2 focus:ring-sky-600/20 ' +
  'aria-invalid:border-red-500 aria-invalid:focus:ring-red-500/20 disabled:bg-zinc-50';

export const inputClass = `h-8 ${inputBase}`;
