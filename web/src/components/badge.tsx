const TONES: Record<string, string> = {
  critical: 'critical',
  'very high': 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  informational: 'info',
  none: 'info',
  '5': 'critical',
  '4': 'high',
  '3': 'medium',
  '2': 'low',
  '1': 'info',
};

/** A level (severity, risk, exposure) as a coloured badge with its text; colour is never the only cue. */
export function LevelBadge({ level, label }: { level: string | number | null | undefined; label?: string }) {
  if (level === null || level === undefined || level === '') return <span className="muted">—</span>;
  const text = String(level);
  const tone = TONES[text.toLowerCase()] ?? 'neutral';
  return (
    <span className={`badge badge-${tone}`}>
      {label ? `${label}: ` : ''}
      {text}
    </span>
  );
}

const SEVERITY_WORDS = ['', 'Informational', 'Low', 'Medium', 'High', 'Critical'];

/** A finding severity 1 to 5 with its word. */
export function SeverityBadge({ severity }: { severity: number | null | undefined }) {
  if (severity === null || severity === undefined) return <span className="muted">—</span>;
  return <LevelBadge level={SEVERITY_WORDS[severity] ?? String(severity)} />;
}
