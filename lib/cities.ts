/**
 * Senegal's cities with their coordinates (WGS84, decimal degrees).
 * The 14 regional capitals, the Dakar suburbs, and the larger towns a customer is likely to give.
 * Coordinates are city centres; placement only needs them to a few kilometres.
 */
export interface City {
  /** Canonical spelling, as stored in `client.ville`. */
  readonly name: string;
  readonly lat: number;
  readonly lon: number;
  /** Administrative region, for documentation and the placement report. */
  readonly region: string;
}

export const CITIES: readonly City[] = [
  // regional capitals
  { name: 'Dakar', lat: 14.6928, lon: -17.4467, region: 'Dakar' },
  { name: 'Thiès', lat: 14.791, lon: -16.9359, region: 'Thiès' },
  { name: 'Saint-Louis', lat: 16.0179, lon: -16.4896, region: 'Saint-Louis' },
  { name: 'Diourbel', lat: 14.655, lon: -16.2314, region: 'Diourbel' },
  { name: 'Fatick', lat: 14.339, lon: -16.4111, region: 'Fatick' },
  { name: 'Kaffrine', lat: 14.1059, lon: -15.5508, region: 'Kaffrine' },
  { name: 'Kaolack', lat: 14.152, lon: -16.0726, region: 'Kaolack' },
  { name: 'Kédougou', lat: 12.5605, lon: -12.1747, region: 'Kédougou' },
  { name: 'Kolda', lat: 12.8939, lon: -14.9406, region: 'Kolda' },
  { name: 'Louga', lat: 15.6144, lon: -16.2244, region: 'Louga' },
  { name: 'Matam', lat: 15.6559, lon: -13.2554, region: 'Matam' },
  { name: 'Sédhiou', lat: 12.7081, lon: -15.5569, region: 'Sédhiou' },
  { name: 'Tambacounda', lat: 13.7707, lon: -13.6673, region: 'Tambacounda' },
  { name: 'Ziguinchor', lat: 12.5681, lon: -16.2719, region: 'Ziguinchor' },
  // Dakar region
  { name: 'Pikine', lat: 14.7549, lon: -17.3983, region: 'Dakar' },
  { name: 'Guédiawaye', lat: 14.7833, lon: -17.4, region: 'Dakar' },
  { name: 'Rufisque', lat: 14.7167, lon: -17.2667, region: 'Dakar' },
  { name: 'Keur Massar', lat: 14.7833, lon: -17.3167, region: 'Dakar' },
  // other towns
  { name: 'Mbour', lat: 14.3943, lon: -16.9603, region: 'Thiès' },
  { name: 'Tivaouane', lat: 14.95, lon: -16.8167, region: 'Thiès' },
  { name: 'Joal-Fadiouth', lat: 14.1667, lon: -16.8333, region: 'Thiès' },
  { name: 'Touba', lat: 14.85, lon: -15.8833, region: 'Diourbel' },
  { name: 'Mbacké', lat: 14.7906, lon: -15.9083, region: 'Diourbel' },
  { name: 'Bambey', lat: 14.7, lon: -16.45, region: 'Diourbel' },
  { name: 'Richard-Toll', lat: 16.4625, lon: -15.7, region: 'Saint-Louis' },
  { name: 'Dagana', lat: 16.5167, lon: -15.5, region: 'Saint-Louis' },
  { name: 'Podor', lat: 16.65, lon: -14.9667, region: 'Saint-Louis' },
  { name: 'Kébémer', lat: 15.37, lon: -16.44, region: 'Louga' },
  { name: 'Linguère', lat: 15.395, lon: -15.119, region: 'Louga' },
  { name: 'Nioro du Rip', lat: 13.75, lon: -15.8, region: 'Kaolack' },
  { name: 'Bignona', lat: 12.81, lon: -16.2264, region: 'Ziguinchor' },
  { name: 'Vélingara', lat: 13.15, lon: -14.1167, region: 'Kolda' },
];
