// The calendar export fixtures (test/fixtures/ics/, described in its README) as raw text.
const files = import.meta.glob('./fixtures/ics/*.ics', { query: '?raw', import: 'default', eager: true }) as Record<
  string,
  string
>;

export const fixture = (name: 'google' | 'outlook' | 'apple'): string => {
  const text = files[`./fixtures/ics/${name}.ics`];
  if (!text) throw new Error(`no fixture ${name}`);
  return text;
};
