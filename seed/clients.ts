/**
 * Seed clients. Ids 1–10 are the case study's sample rows, verbatim; the rest complete the data set
 * so that every city of the placement table (lib/cities.ts) has at least one client.
 * `ville` uses the canonical spelling of lib/cities.ts, which the per-site CHECK constraints expect.
 */
export interface SeedClient {
  readonly id: number;
  readonly nom: string;
  readonly ville: string;
  readonly email: string;
}

/** Ids 1 to this are the case study's sample rows; tools that place orders of their own leave them be. */
export const CASE_STUDY_CLIENTS = 10;

export const SEED_CLIENTS: readonly SeedClient[] = Object.freeze([
  // case study sample rows
  { id: 1, nom: 'Mamadou Ndiaye', ville: 'Dakar', email: 'mndiaye@example.com' },
  { id: 2, nom: 'Awa Diop', ville: 'Thiès', email: 'adiop@example.com' },
  { id: 3, nom: 'Ibrahima Ba', ville: 'Saint-Louis', email: 'iba@example.com' },
  { id: 4, nom: 'Fatou Sow', ville: 'Dakar', email: 'fsow@example.com' },
  { id: 5, nom: 'Oumar Fall', ville: 'Ziguinchor', email: 'ofall@example.com' },
  { id: 6, nom: 'Khadija Seck', ville: 'Thiès', email: 'kseck@example.com' },
  { id: 7, nom: 'Modou Gaye', ville: 'Kaolack', email: 'mgaye@example.com' },
  { id: 8, nom: 'Aissatou Diallo', ville: 'Dakar', email: 'adiallo@example.com' },
  { id: 9, nom: 'Cheikh Diagne', ville: 'Saint-Louis', email: 'cdiagne@example.com' },
  { id: 10, nom: 'Seynabou Sy', ville: 'Ziguinchor', email: 'ssy@example.com' },
  // completion
  { id: 11, nom: 'Moussa Diouf', ville: 'Pikine', email: 'mdiouf@example.com' },
  { id: 12, nom: 'Ndeye Fatou Mbaye', ville: 'Guédiawaye', email: 'nfmbaye@example.com' },
  { id: 13, nom: 'Abdoulaye Sarr', ville: 'Rufisque', email: 'asarr@example.com' },
  { id: 14, nom: 'Mariama Badji', ville: 'Ziguinchor', email: 'mbadji@example.com' },
  { id: 15, nom: 'Pape Ndour', ville: 'Fatick', email: 'pndour@example.com' },
  { id: 16, nom: 'Aminata Cissé', ville: 'Kaolack', email: 'acisse@example.com' },
  { id: 17, nom: 'Ousmane Thiam', ville: 'Diourbel', email: 'othiam@example.com' },
  { id: 18, nom: 'Coumba Faye', ville: 'Mbour', email: 'cfaye@example.com' },
  { id: 19, nom: 'Alioune Gueye', ville: 'Louga', email: 'agueye@example.com' },
  { id: 20, nom: 'Rokhaya Niang', ville: 'Keur Massar', email: 'rniang@example.com' },
  { id: 21, nom: 'Babacar Kane', ville: 'Matam', email: 'bkane@example.com' },
  { id: 22, nom: 'Astou Diagne', ville: 'Touba', email: 'adiagne@example.com' },
  { id: 23, nom: 'Lamine Sané', ville: 'Sédhiou', email: 'lsane@example.com' },
  { id: 24, nom: 'Binta Camara', ville: 'Kédougou', email: 'bcamara@example.com' },
  { id: 25, nom: 'Souleymane Touré', ville: 'Tambacounda', email: 'stoure@example.com' },
  { id: 26, nom: 'Dieynaba Ba', ville: 'Kolda', email: 'dba@example.com' },
  { id: 27, nom: 'Malick Diatta', ville: 'Bignona', email: 'mdiatta@example.com' },
  { id: 28, nom: 'Yacine Ndiaye', ville: 'Dakar', email: 'yndiaye@example.com' },
  { id: 29, nom: 'El Hadji Mbaye', ville: 'Kaffrine', email: 'ehmbaye@example.com' },
  { id: 30, nom: 'Sokhna Diop', ville: 'Mbacké', email: 'sdiop@example.com' },
  { id: 31, nom: 'Demba Sow', ville: 'Podor', email: 'dsow@example.com' },
  { id: 32, nom: 'Adama Fall', ville: 'Richard-Toll', email: 'afall@example.com' },
  { id: 33, nom: 'Ramatoulaye Sy', ville: 'Dagana', email: 'rsy@example.com' },
  { id: 34, nom: 'Ismaïla Faye', ville: 'Joal-Fadiouth', email: 'ifaye@example.com' },
  { id: 35, nom: 'Khady Sarr', ville: 'Tivaouane', email: 'ksarr@example.com' },
  { id: 36, nom: 'Mamadou Lamine Diouf', ville: 'Bambey', email: 'mldiouf@example.com' },
  { id: 37, nom: 'Marème Thiam', ville: 'Kébémer', email: 'mthiam@example.com' },
  { id: 38, nom: 'Samba Ndour', ville: 'Linguère', email: 'sndour@example.com' },
  { id: 39, nom: 'Fatoumata Kane', ville: 'Nioro du Rip', email: 'fkane@example.com' },
  { id: 40, nom: 'Boubacar Camara', ville: 'Vélingara', email: 'boubacar.camara@example.com' },
  { id: 41, nom: 'Ndèye Awa Gueye', ville: 'Dakar', email: 'nagueye@example.com' },
  { id: 42, nom: 'Youssou Diatta', ville: 'Ziguinchor', email: 'ydiatta@example.com' },
  { id: 43, nom: 'Mame Diarra Sène', ville: 'Thiès', email: 'mdsene@example.com' },
  { id: 44, nom: 'Omar Diagne', ville: 'Saint-Louis', email: 'odiagne@example.com' },
  { id: 45, nom: 'Penda Sall', ville: 'Pikine', email: 'psall@example.com' },
  { id: 46, nom: 'Serigne Mbacké Ndiaye', ville: 'Touba', email: 'smndiaye@example.com' },
  { id: 47, nom: 'Aïda Niang', ville: 'Rufisque', email: 'aniang@example.com' },
  { id: 48, nom: 'Assane Badji', ville: 'Bignona', email: 'abadji@example.com' },
  { id: 49, nom: 'Nafissatou Touré', ville: 'Dakar', email: 'ntoure@example.com' },
  { id: 50, nom: 'Cheikh Tidiane Sy', ville: 'Tivaouane', email: 'ctsy@example.com' },
  { id: 51, nom: 'Khoudia Diallo', ville: 'Kolda', email: 'kdiallo@example.com' },
  { id: 52, nom: 'Ibou Sané', ville: 'Ziguinchor', email: 'isane@example.com' },
  { id: 53, nom: 'Maïmouna Cissé', ville: 'Kaolack', email: 'mcisse@example.com' },
  { id: 54, nom: 'Thierno Ba', ville: 'Matam', email: 'tba@example.com' },
  { id: 55, nom: 'Seydou Gueye', ville: 'Guédiawaye', email: 'sgueye@example.com' },
  { id: 56, nom: 'Arame Faye', ville: 'Fatick', email: 'afaye@example.com' },
  { id: 57, nom: 'Mouhamed Diop', ville: 'Thiès', email: 'mdiop@example.com' },
  { id: 58, nom: 'Adji Mbaye', ville: 'Saint-Louis', email: 'ambaye@example.com' },
  { id: 59, nom: 'Pathé Sow', ville: 'Louga', email: 'psow@example.com' },
  { id: 60, nom: 'Awa Ndour', ville: 'Keur Massar', email: 'andour@example.com' },
  { id: 61, nom: 'Daouda Diatta', ville: 'Sédhiou', email: 'ddiatta@example.com' },
  { id: 62, nom: 'Saliou Thiam', ville: 'Mbour', email: 'sthiam@example.com' },
  { id: 63, nom: 'Fatou Bintou Kane', ville: 'Dakar', email: 'fbkane@example.com' },
  { id: 64, nom: 'Bassirou Diagne', ville: 'Kaffrine', email: 'bdiagne@example.com' },
]);
