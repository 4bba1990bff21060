// The sentences a person reads beside a field, shared by the API's zod error map
// (lib/field-errors.ts) and the booking page's own check before it sends (widget/client).
// Plain strings only: the browser bundle imports this file.

export const REQUIRED = 'This field is required.';
export const NOT_BLANK = 'This field may not be blank.';
export const EMAIL = 'Enter an email address like name@example.com.';
export const TIME_ZONE = 'Choose a time zone from the list.';
export const DATE = 'Enter a date like 2026-03-14.';
export const PHONE = 'Enter a phone number in international format, e.g. +14155550123.';
export const INSTANT = 'Enter a date and time like 2026-03-14T10:00:00Z.';

/** What an empty or wrong value of a well-known field is told, by the field's name. */
export const FIELD_SENTENCES: Record<string, string> = {
  first_name: 'Enter your first name.',
  last_name: 'Enter your last name.',
  email: EMAIL,
  timezone: TIME_ZONE,
  phone: PHONE,
  password: 'Enter a password.',
  business_name: 'Enter your business name.',
  name: 'Enter a name.',
  content: 'Enter the note.',
};
