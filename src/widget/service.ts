import type { Db } from '../lib/db';
import { ApiError } from '../lib/problem';
import { trainerBySlug } from '../public/service';

export interface BookingPageTrainer {
  businessName: string;
  slug: string;
  timezone: string;
  sessionDurationMinutes: number;
  brandColor: string;
  photoUrl: string;
  bio: string;
}

/** What the booking page's shell shows, found exactly as the public API finds it; null when unknown. */
export async function findBookingPageTrainer(db: Db, slug: string): Promise<BookingPageTrainer | null> {
  try {
    const { trainer, name } = await trainerBySlug(db, slug);
    return {
      businessName: name,
      slug: trainer.slug,
      timezone: trainer.timezone,
      sessionDurationMinutes: trainer.sessionDurationMinutes,
      brandColor: trainer.brandColor,
      photoUrl: trainer.photoUrl,
      bio: trainer.bio,
    };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}
