import type { Db } from '../lib/db';
import { displayAmount, toCents } from '../lib/money';
import { ApiError } from '../lib/problem';
import { trainerBySlug } from '../public/service';
import type { PublicServiceOut } from '../services/schemas';
import { publicServices } from '../services/service';

/** A service as the booking page's picker shows it. */
export interface PageService {
  id: number;
  name: string;
  durationMinutes: number;
  /** "60 min · $80.00 · Video call" */
  facts: string;
  description: string;
}

const PLACES: Record<PublicServiceOut['location_type'], string> = {
  in_person: 'In person',
  video: 'Video call',
  phone: 'Phone call',
  client_address: 'At your address',
};

export function pageService(s: PublicServiceOut): PageService {
  const cents = s.price === null ? null : toCents(s.price);
  const price = cents === null || s.currency === null ? null : displayAmount(cents, s.currency);
  return {
    id: s.id,
    name: s.name,
    durationMinutes: s.duration_minutes,
    facts: [`${s.duration_minutes} min`, price, PLACES[s.location_type]].filter(Boolean).join(' · '),
    description: s.description,
  };
}

export interface BookingPageTrainer {
  businessName: string;
  slug: string;
  timezone: string;
  sessionDurationMinutes: number;
  brandColor: string;
  photoUrl: string;
  bio: string;
  /** The public, active private services (capacity 1), by position. */
  services: PageService[];
}

/** What the booking page's shell shows, found exactly as the public API finds it; null when unknown. */
export async function findBookingPageTrainer(db: Db, slug: string): Promise<BookingPageTrainer | null> {
  try {
    const { trainer, name } = await trainerBySlug(db, slug);
    // The picker chooses among private services; classes show as sessions beside the times.
    const services = await publicServices(db, trainer.id, { privateOnly: true });
    return {
      businessName: name,
      slug: trainer.slug,
      timezone: trainer.timezone,
      sessionDurationMinutes: trainer.sessionDurationMinutes,
      brandColor: trainer.brandColor,
      photoUrl: trainer.photoUrl,
      bio: trainer.bio,
      services: services.map(pageService),
    };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}
