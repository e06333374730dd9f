/**
 * A simplified outline of Senegal and of the Gambia it surrounds (longitude, latitude), traced
 * from the borders to about ten kilometres: enough to place the sites, not a survey map.
 */
export type LonLat = readonly [number, number];

export const SENEGAL: readonly LonLat[] = [
  [-16.53, 16.06], [-16.28, 16.52], [-15.8, 16.52], [-15.1, 16.62], [-14.6, 16.64], [-14.1, 16.3],
  [-13.7, 16.1], [-13.35, 15.8], [-13.0, 15.5], [-12.6, 15.1], [-12.2, 14.75], [-12.1, 14.4],
  [-11.9, 14.0], [-11.55, 13.5], [-11.4, 12.95], [-11.4, 12.4], [-12.1, 12.38], [-12.5, 12.4],
  [-13.1, 12.58], [-13.7, 12.67], [-14.5, 12.68], [-15.2, 12.68], [-15.7, 12.43], [-16.2, 12.4],
  [-16.75, 12.35], [-16.78, 12.6], [-16.75, 13.06],
  // around the Gambia: its southern border eastwards, its northern border back to the coast
  [-15.8, 13.15], [-15.2, 13.35], [-14.5, 13.25], [-13.8, 13.33], [-13.8, 13.6], [-14.5, 13.65],
  [-15.2, 13.75], [-15.8, 13.6], [-16.55, 13.59],
  [-16.75, 13.9], [-16.85, 14.15], [-16.97, 14.45], [-17.1, 14.65], [-17.45, 14.7], [-17.53, 14.75],
  [-17.4, 14.8], [-17.2, 14.9], [-16.9, 15.2], [-16.7, 15.55],
];

export const GAMBIA: readonly LonLat[] = [
  [-16.75, 13.06], [-15.8, 13.15], [-15.2, 13.35], [-14.5, 13.25], [-13.8, 13.33], [-13.8, 13.6],
  [-14.5, 13.65], [-15.2, 13.75], [-15.8, 13.6], [-16.55, 13.59], [-16.8, 13.3],
];

/** The ocean west of the coast, from the frame's north-west corner down the coastline. */
export const ATLANTIC: readonly LonLat[] = [
  [-18.6, 16.95], [-16.45, 16.95], [-16.53, 16.06], [-16.7, 15.55], [-16.9, 15.2], [-17.2, 14.9],
  [-17.4, 14.8], [-17.53, 14.75], [-17.45, 14.7], [-17.1, 14.65], [-16.97, 14.45], [-16.85, 14.15],
  [-16.75, 13.9], [-16.55, 13.59], [-16.8, 13.3], [-16.75, 13.06], [-16.78, 12.6], [-16.75, 12.35],
  [-16.95, 12.1], [-18.6, 12.1],
];

/** Neighbours' names and where to write them. */
export const NEIGHBOURS: readonly { readonly name: string; readonly at: LonLat }[] = [
  { name: 'Mauritania', at: [-13.2, 16.75] },
  { name: 'Mali', at: [-11.45, 14.9] },
  { name: 'Guinea', at: [-12.4, 12.25] },
  { name: 'Guinea-Bissau', at: [-15.0, 12.25] },
];

/** The map's frame. */
export const BOUNDS = { west: -18.6, east: -11.1, south: 12.1, north: 16.95 } as const;
