import type { AuthContext } from '../env';
import { ApiError, forbidden } from './problem';

/**
 * Who is asking, as the data layer needs it: a trainer sees and changes their own rows; a
 * client user reads the rows of every client record that carries their email.
 */
export type Viewer =
  | { kind: 'trainer'; trainerId: number; userId: number }
  | { kind: 'client'; email: string; userId: number };

export function viewerOf(auth: AuthContext): Viewer {
  if (auth.trainer) return { kind: 'trainer', trainerId: auth.trainer.id, userId: auth.user.id };
  if (auth.user.isClient) {
    // Client records are matched by email: only a verified owner of that address may read them.
    if (!auth.user.emailVerifiedAt) {
      throw new ApiError(
        403,
        'Confirm your email address first: open the link we mailed you (POST /api/users/resend-verification/ sends it again).',
        {
          code: 'email_unverified',
        },
      );
    }
    return { kind: 'client', email: auth.user.email, userId: auth.user.id };
  }
  throw forbidden('Only trainers and clients can use this endpoint.');
}

/** The trainer behind a write; client users may only read. */
export function trainerIdOf(viewer: Viewer): number {
  if (viewer.kind !== 'trainer') throw forbidden('Only trainers can change this.');
  return viewer.trainerId;
}

export type TrainerViewer = Extract<Viewer, { kind: 'trainer' }>;

/** The viewer of a route behind requireTrainer. */
export function trainerViewer(auth: AuthContext): TrainerViewer {
  if (!auth.trainer) throw forbidden('Only trainers can use this endpoint.');
  return { kind: 'trainer', trainerId: auth.trainer.id, userId: auth.user.id };
}
