import { env } from 'cloudflare:workers';
import { api, PASSWORD } from './helpers';

export type Page<T = Record<string, unknown>> = { count: number; next: string | null; results: T[] };
export type Detail = {
  model: string;
  id: number;
  timezone: string;
  record: Record<string, unknown>;
  related: Record<string, unknown>;
};

/** Registers through the public API; `extra` may make it a client user or name the business. */
export async function registerAs(email: string, extra: Record<string, unknown> = {}) {
  const res = await api<{ token: string; user: { id: number; trainer: { id: number } | null } }>(
    'POST',
    '/api/users/register/',
    { body: { email, password: PASSWORD, password_confirm: PASSWORD, ...extra } },
  );
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { email, token: res.body.token, userId: res.body.user.id, trainerId: res.body.user.trainer?.id ?? 0 };
}

/**
 * A staff user. Staff are never created or promoted through the API (scripts/admin-create.mjs
 * does it on a real database), so the test registers a plain user and sets is_staff in D1.
 */
export async function registerStaff(email: string) {
  const user = await registerAs(email, { is_client: true, first_name: 'Sam', last_name: 'Staff' });
  await env.DB.prepare('UPDATE users SET is_staff = 1 WHERE id = ?').bind(user.userId).run();
  return user;
}

export const auditRows = (model: string, recordId: number) =>
  env.DB.prepare('SELECT * FROM admin_audit_log WHERE model = ? AND record_id = ? ORDER BY id')
    .bind(model, recordId)
    .all<{ id: number; staff_user_id: number; action: string; changes: string; at: string }>()
    .then((r) => r.results);
