/**
 * @module edge/geo/region-codes
 * The ip-location-db databases carry subdivision *names* (`state1`) but not ISO 3166-2 codes,
 * while `CloudFront-Viewer-Country-Region` is the code (spec 3.3). This table covers the
 * countries whose codes are asked for most (US, CA, GB constituent countries, AU, DE); other
 * countries get only `CloudFront-Viewer-Country-Region-Name` with that database. A MaxMind
 * GeoLite2/GeoIP2 database (`--geo-db`) carries the codes itself.
 */

const TABLE: Record<string, Record<string, string>> = {
  US: {
    Alabama: 'AL', Alaska: 'AK', Arizona: 'AZ', Arkansas: 'AR', California: 'CA', Colorado: 'CO',
    Connecticut: 'CT', Delaware: 'DE', 'District of Columbia': 'DC', Florida: 'FL', Georgia: 'GA',
    Hawaii: 'HI', Idaho: 'ID', Illinois: 'IL', Indiana: 'IN', Iowa: 'IA', Kansas: 'KS', Kentucky: 'KY',
    Louisiana: 'LA', Maine: 'ME', Maryland: 'MD', Massachusetts: 'MA', Michigan: 'MI', Minnesota: 'MN',
    Mississippi: 'MS', Missouri: 'MO', Montana: 'MT', Nebraska: 'NE', Nevada: 'NV', 'New Hampshire': 'NH',
    'New Jersey': 'NJ', 'New Mexico': 'NM', 'New York': 'NY', 'North Carolina': 'NC', 'North Dakota': 'ND',
    Ohio: 'OH', Oklahoma: 'OK', Oregon: 'OR', Pennsylvania: 'PA', 'Rhode Island': 'RI',
    'South Carolina': 'SC', 'South Dakota': 'SD', Tennessee: 'TN', Texas: 'TX', Utah: 'UT', Vermont: 'VT',
    Virginia: 'VA', Washington: 'WA', 'West Virginia': 'WV', Wisconsin: 'WI', Wyoming: 'WY',
  },
  CA: {
    Alberta: 'AB', 'British Columbia': 'BC', Manitoba: 'MB', 'New Brunswick': 'NB',
    'Newfoundland and Labrador': 'NL', 'Northwest Territories': 'NT', 'Nova Scotia': 'NS', Nunavut: 'NU',
    Ontario: 'ON', 'Prince Edward Island': 'PE', Quebec: 'QC', Saskatchewan: 'SK', Yukon: 'YT',
  },
  GB: { England: 'ENG', Scotland: 'SCT', Wales: 'WLS', 'Northern Ireland': 'NIR' },
  AU: {
    'Australian Capital Territory': 'ACT', 'New South Wales': 'NSW', 'Northern Territory': 'NT',
    Queensland: 'QLD', 'South Australia': 'SA', Tasmania: 'TAS', Victoria: 'VIC', 'Western Australia': 'WA',
  },
  DE: {
    'Baden-Württemberg': 'BW', Bavaria: 'BY', Berlin: 'BE', Brandenburg: 'BB', Bremen: 'HB', Hamburg: 'HH',
    Hesse: 'HE', 'Lower Saxony': 'NI', 'Mecklenburg-Vorpommern': 'MV', 'North Rhine-Westphalia': 'NW',
    'Rhineland-Palatinate': 'RP', Saarland: 'SL', Saxony: 'SN', 'Saxony-Anhalt': 'ST',
    'Schleswig-Holstein': 'SH', Thuringia: 'TH',
  },
};

/** The ISO 3166-2 subdivision code (without the country prefix) for a region name, if known. */
export function regionCodeFor(countryCode: string, regionName: string): string | undefined {
  return TABLE[countryCode]?.[regionName];
}
