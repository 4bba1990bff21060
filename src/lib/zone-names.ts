// Spellings of time zone names the runtime does not give back: CLDR's older names of renamed
// zones, and the tz database's names that the runtime answers with another zone's name (links,
// and zones it merges). Both from tzdata 2025b against workerd's ICU; `canonicalTimeZone` uses them.

/**
 * The runtime's names (CLDR's) of zones the zone database has since renamed, with today's name:
 * workerd resolves Asia/Kolkata to Asia/Calcutta and Europe/Kyiv to Europe/Kiev.
 */
export const RENAMED: Record<string, string> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/**
 * Every other name of the zone database the runtime answers with another name ("US/Eastern" →
 * America/New_York, "EST" → America/Panama, "Japan" → Asia/Tokyo), as the database spells it:
 * typed in any case, it is stored in this spelling.
 */
const OTHER_NAMES =
  'Africa/Timbuktu America/Argentina/ComodRivadavia America/Atka America/Ensenada ' +
  'America/Fort_Wayne America/Knox_IN America/Montreal America/Nipigon America/Pangnirtung ' +
  'America/Porto_Acre America/Rainy_River America/Rosario America/Santa_Isabel America/Shiprock ' +
  'America/Thunder_Bay America/Virgin America/Yellowknife Antarctica/South_Pole Asia/Ashkhabad ' +
  'Asia/Choibalsan Asia/Chongqing Asia/Chungking Asia/Dacca Asia/Harbin Asia/Istanbul Asia/Kashgar ' +
  'Asia/Macao Asia/Tel_Aviv Asia/Thimbu Asia/Ujung_Pandang Asia/Ulan_Bator Atlantic/Jan_Mayen ' +
  'Australia/ACT Australia/Canberra Australia/Currie Australia/LHI Australia/NSW Australia/North ' +
  'Australia/Queensland Australia/South Australia/Tasmania Australia/Victoria Australia/West ' +
  'Australia/Yancowinna Brazil/Acre Brazil/DeNoronha Brazil/East Brazil/West CET Canada/Atlantic ' +
  'Canada/Central Canada/Eastern Canada/Mountain Canada/Newfoundland Canada/Pacific ' +
  'Canada/Saskatchewan Canada/Yukon Chile/Continental Chile/EasterIsland Cuba EET EST Egypt Eire ' +
  'Etc/GMT Etc/GMT+0 Etc/GMT-0 Etc/GMT0 Etc/Greenwich Etc/UCT Etc/UTC Etc/Universal Etc/Zulu ' +
  'Europe/Belfast Europe/Nicosia Europe/Tiraspol Europe/Uzhgorod Europe/Zaporozhye GB GB-Eire GMT ' +
  'GMT+0 GMT-0 GMT0 Greenwich HST Hongkong Iceland Iran Israel Jamaica Japan Kwajalein Libya MET ' +
  'MST Mexico/BajaNorte Mexico/BajaSur Mexico/General NZ NZ-CHAT Navajo PRC Pacific/Johnston ' +
  'Pacific/Samoa Pacific/Yap Poland Portugal ROC ROK Singapore Turkey UCT US/Alaska US/Aleutian ' +
  'US/Arizona US/Central US/East-Indiana US/Eastern US/Hawaii US/Indiana-Starke US/Michigan ' +
  'US/Mountain US/Pacific US/Samoa Universal W-SU WET Zulu';

let byLowerCase: Map<string, string> | undefined;

/** A name of the zone database other than the runtime's, spelt as the database spells it; undefined when none. */
export function databaseSpelling(name: string): string | undefined {
  byLowerCase ??= new Map(OTHER_NAMES.split(' ').map((n) => [n.toLowerCase(), n]));
  return byLowerCase.get(name.toLowerCase());
}
