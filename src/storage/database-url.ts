/**
 * A PostgreSQL URL as Trent shows it in messages and /health: without its password. Apart from
 * the store itself, so that naming a database never loads the driver.
 */
export function redactedDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
