import parsePhoneNumber from 'libphonenumber-js/min';

const byCountry = new Map<string, string[]>();

/**
 * The time zones a phone number may be in, from its country (libphonenumber-js; a number whose exact country its
 * metadata cannot tell, such as a +1 number on an unassigned area code, takes the calling code's main country) and
 * that country's zones (the ICU data Node carries, `Intl.Locale#timeZones`). A country with several zones (US, CA,
 * MX, BR, RU, AU...) gives them all: the number alone cannot say which. Empty when nothing is known.
 */
export function numberTimeZones(e164: string): string[] {
  const parsed = parsePhoneNumber(e164);
  const country = parsed?.country ?? parsed?.getPossibleCountries()[0];
  if (!country) return [];
  let zones = byCountry.get(country);
  if (!zones) {
    zones = (new Intl.Locale(`und-${country}`) as Intl.Locale & { timeZones?: string[] }).timeZones ?? [];
    byCountry.set(country, zones);
  }
  return zones;
}
