import type { ButtonHTMLAttributes } from 'react';

export type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'ghost';

const variants: Record<ButtonVariant, string> = {
  primary: 'bg-accent text-surface-raised hover:bg-accent/90 border-transparent',
  secondary: 'bg-surface-raised text-ink border-line hover:bg-line/50',
  danger: 'bg-surface-raised text-bad border-bad/60 hover:bg-bad/10',
  ghost: 'bg-transparent text-ink-muted border-transparent hover:bg-line/50 hover:text-ink',
};

export function buttonClasses(variant: ButtonVariant = 'primary', size: 'sm' | 'md' = 'md'): string {
  const sizing = size === 'sm' ? 'px-2.5 py-1 text-sm' : 'px-4 py-2 text-sm';
  return `inline-flex items-center justify-center gap-2 rounded-md border font-medium transition-colors disabled:cursor-not-allowed disabled:opacity-60 ${sizing} ${variants[variant]}`;
}

export function Button({
  variant = 'primary',
  size = 'md',
  className = '',
  type = 'button',
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: ButtonVariant; size?: 'sm' | 'md' }) {
  return <button type={type} className={`${buttonClasses(variant, size)} ${className}`} {...props} />;
}
