// "Where and how": a booking's service turned into the words every client message, the calendar
// file and the manage page use. Pure: the service's columns and the client's phone in, text out.
import type { LocationType } from '../db/schema';

/** What of the booking's service says where it happens (null columns: a booking without one). */
export interface ServicePlace {
  name: string | null;
  locationType: LocationType | null;
  location: string | null;
  videoUrl: string | null;
}

export interface Place {
  type: LocationType;
  /**
   * For people: the address (in_person; '' when the service names none), "Online (video): <link>",
   * "By phone: your trainer will call you on <client's phone>" (or "… will call you" without a
   * phone), "At your address".
   */
  text: string;
  /** The calendar file's LOCATION: the address, the video link, else `text`. */
  calendar: string;
  /** The video link (https), '' for every other kind. */
  videoUrl: string;
}

/** The service name when the booking has none to show (a booking without a service row). */
export const SESSION = 'Session';

export const serviceNameOf = (s: ServicePlace): string => s.name?.trim() || SESSION;

/** The link when it is one https URL (no space, quote or control character), else ''. */
const httpsUrl = (url: string): string => (/^https:\/\/[^\s"<>\\\p{Cc}]+$/u.test(url.trim()) ? url.trim() : '');

/** Where and how the booking happens, or null when there is nothing to say (in person, no address). */
export function placeOf(s: ServicePlace, clientPhone: string): Place | null {
  const type = s.locationType;
  if (!type) return null;
  const address = (s.location ?? '').trim();
  const videoUrl = type === 'video' ? httpsUrl(s.videoUrl ?? '') : '';
  switch (type) {
    case 'video': {
      const text = videoUrl ? `Online (video): ${videoUrl}` : 'Online (video)';
      return { type, text, calendar: videoUrl || text, videoUrl };
    }
    case 'phone': {
      const phone = clientPhone.trim();
      const text = phone ? `By phone: your trainer will call you on ${phone}` : 'By phone: your trainer will call you';
      return { type, text, calendar: text, videoUrl };
    }
    case 'client_address':
      return { type, text: 'At your address', calendar: 'At your address', videoUrl };
    default:
      return address ? { type, text: address, calendar: address, videoUrl } : null;
  }
}

/** The place as a line of a message: an address is labelled, the other kinds say what they are. */
export const placeLine = (p: Place): string => (p.type === 'in_person' ? `Where: ${p.text}` : p.text);

/** Longest address an SMS carries (a link is never cut: a cut link opens nothing). */
const SMS_ADDRESS_MAX = 60;

/** The place in an SMS, short: " Where: <address>." / " Video: <link>" / " By phone: …" / " At your address." */
export function placeSms(p: Place | null): string {
  if (!p) return '';
  switch (p.type) {
    case 'video':
      return p.videoUrl ? ` Video: ${p.videoUrl}` : ' Online (video).';
    case 'phone':
      return ' By phone: your trainer will call you.';
    case 'client_address':
      return ' At your address.';
    default: {
      const address = p.text.length > SMS_ADDRESS_MAX ? `${p.text.slice(0, SMS_ADDRESS_MAX - 3).trimEnd()}...` : p.text;
      return ` Where: ${address.replace(/\s+/g, ' ')}.`;
    }
  }
}
