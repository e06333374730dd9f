/**
 * Seed catalogue. Ids 101–110 are the case study's sample rows, verbatim; the rest complete it with
 * electronics a Senegalese retailer sells. `prix` is in FCFA (no minor unit); `stock` is the
 * product's total across the three warehouses, split per site by seed/stock-split.ts.
 */
export interface SeedProduct {
  readonly id: number;
  readonly nom: string;
  readonly description: string;
  /** FCFA */
  readonly prix: number;
  /** Total units across all warehouses. */
  readonly stock: number;
}

export const SEED_PRODUCTS: readonly SeedProduct[] = Object.freeze([
  // case study sample rows
  { id: 101, nom: 'Ordinateur HP', description: 'PC portable 15 pouces', prix: 450000, stock: 20 },
  { id: 102, nom: 'Smartphone Samsung', description: 'Galaxy S22, 128 Go', prix: 350000, stock: 50 },
  { id: 103, nom: 'Casque Bluetooth', description: 'Casque sans fil Sony', prix: 75000, stock: 30 },
  { id: 104, nom: 'Tablette iPad', description: 'iPad Air 10.9 pouces', prix: 600000, stock: 15 },
  { id: 105, nom: 'Disque Dur Externe', description: '1 To, USB 3.0', prix: 55000, stock: 40 },
  { id: 106, nom: 'Clavier Mécanique', description: 'Clavier gamer rétroéclairé', prix: 65000, stock: 25 },
  { id: 107, nom: 'Imprimante HP Laser', description: 'Imprimante laser monochrome', prix: 175000, stock: 10 },
  { id: 108, nom: 'Chargeur Universel', description: 'Chargeur rapide 65W', prix: 30000, stock: 60 },
  { id: 109, nom: 'Écouteurs sans fil', description: 'Écouteurs Bluetooth', prix: 45000, stock: 35 },
  { id: 110, nom: 'Souris Gamer', description: 'Souris optique 8000 DPI', prix: 40000, stock: 45 },
  // completion
  { id: 111, nom: 'Smartphone Tecno', description: 'Camon 20, 256 Go, double SIM', prix: 135000, stock: 80 },
  { id: 112, nom: 'Smartphone Infinix', description: 'Hot 40i, 128 Go, double SIM', prix: 85000, stock: 110 },
  { id: 113, nom: 'iPhone 14', description: 'Apple iPhone 14, 128 Go', prix: 650000, stock: 12 },
  { id: 114, nom: 'Smartphone Xiaomi', description: 'Redmi Note 13, 256 Go', prix: 155000, stock: 70 },
  { id: 115, nom: 'Ordinateur Lenovo', description: 'ThinkPad E14, 14 pouces, Core i5, 16 Go', prix: 520000, stock: 18 },
  { id: 116, nom: 'MacBook Air', description: 'MacBook Air 13 pouces, puce M2, 8 Go', prix: 950000, stock: 6 },
  { id: 117, nom: 'Ordinateur Dell', description: 'Latitude 3540, 15,6 pouces, Core i7', prix: 610000, stock: 9 },
  { id: 118, nom: 'Écran Samsung 24 pouces', description: 'Moniteur Full HD 75 Hz', prix: 95000, stock: 28 },
  { id: 119, nom: 'Téléviseur LG 43 pouces', description: 'Smart TV 4K UHD, webOS', prix: 280000, stock: 14 },
  { id: 120, nom: 'Téléviseur Samsung 55 pouces', description: 'Smart TV Crystal UHD 4K', prix: 450000, stock: 7 },
  { id: 121, nom: 'Clé USB 64 Go', description: 'SanDisk Ultra, USB 3.2', prix: 7000, stock: 120 },
  { id: 122, nom: 'Carte microSD 128 Go', description: 'Classe 10, A1, avec adaptateur SD', prix: 12000, stock: 95 },
  { id: 123, nom: 'Batterie externe 20000 mAh', description: 'Powerbank, charge rapide 22,5 W', prix: 18000, stock: 90 },
  { id: 124, nom: 'Enceinte JBL Flip 6', description: 'Enceinte Bluetooth portable, étanche IP67', prix: 85000, stock: 22 },
  { id: 125, nom: 'Routeur Wi-Fi TP-Link', description: 'Archer C6, AC1200 double bande', prix: 35000, stock: 40 },
  { id: 126, nom: 'Routeur 4G Huawei', description: 'Routeur 4G LTE avec emplacement carte SIM', prix: 45000, stock: 33 },
  { id: 127, nom: 'Onduleur APC', description: 'Back-UPS 1200 VA', prix: 120000, stock: 11 },
  { id: 128, nom: 'Imprimante Epson EcoTank', description: "Imprimante jet d'encre multifonction L3250", prix: 145000, stock: 13 },
  { id: 129, nom: "Cartouche d'encre HP 305", description: 'Cartouche noire, environ 120 pages', prix: 12000, stock: 65 },
  { id: 130, nom: 'Montre connectée Samsung', description: 'Galaxy Watch 6, 44 mm', prix: 190000, stock: 16 },
  { id: 131, nom: 'Bracelet connecté Xiaomi', description: 'Smart Band 8, écran AMOLED', prix: 25000, stock: 55 },
  { id: 132, nom: 'Console PlayStation 5', description: 'PS5 Slim, 1 To', prix: 420000, stock: 3 },
  { id: 133, nom: 'Manette DualSense', description: 'Manette sans fil pour PS5', prix: 55000, stock: 24 },
  { id: 134, nom: 'Console Nintendo Switch', description: 'Switch OLED, écran 7 pouces', prix: 260000, stock: 2 },
  { id: 135, nom: 'Webcam Logitech', description: 'C920, Full HD 1080p', prix: 60000, stock: 19 },
  { id: 136, nom: 'Microphone USB', description: 'Micro à condensateur pour podcast et visioconférence', prix: 40000, stock: 0 },
  { id: 137, nom: 'Casque Gamer', description: 'Casque filaire avec micro, son surround 7.1', prix: 35000, stock: 27 },
  { id: 138, nom: 'SSD Samsung 1 To', description: 'SSD interne 870 EVO, SATA 2,5 pouces', prix: 75000, stock: 31 },
  { id: 139, nom: 'SSD externe 500 Go', description: 'SanDisk Extreme portable, USB-C', prix: 65000, stock: 21 },
  { id: 140, nom: 'Mémoire RAM 16 Go', description: 'DDR4 3200 MHz pour PC portable', prix: 32000, stock: 44 },
  { id: 141, nom: 'Câble HDMI 2 m', description: 'HDMI 2.1, compatible 8K', prix: 5000, stock: 120 },
  { id: 142, nom: 'Câble USB-C', description: 'USB-C vers USB-C, 1 m, 60 W', prix: 5000, stock: 115 },
  { id: 143, nom: 'Multiprise parafoudre', description: '6 prises avec protection contre les surtensions', prix: 15000, stock: 60 },
  { id: 144, nom: 'Support ventilé pour PC portable', description: 'Support refroidissant à 5 ventilateurs', prix: 14000, stock: 38 },
  { id: 145, nom: 'Sac à dos pour ordinateur', description: 'Compatible 15,6 pouces, imperméable', prix: 20000, stock: 50 },
  { id: 146, nom: 'Vidéoprojecteur Epson', description: 'Projecteur 3LCD, 3600 lumens', prix: 380000, stock: 4 },
  { id: 147, nom: 'Appareil photo Canon', description: 'EOS 2000D avec objectif 18-55 mm', prix: 420000, stock: 5 },
  { id: 148, nom: 'Caméra de surveillance Wi-Fi', description: 'Caméra IP 1080p, vision nocturne', prix: 28000, stock: 36 },
  { id: 149, nom: 'Tablette Samsung', description: 'Galaxy Tab A9+, 11 pouces, 64 Go', prix: 165000, stock: 17 },
  { id: 150, nom: 'Liseuse Kindle', description: 'Kindle Paperwhite, 6,8 pouces', prix: 110000, stock: 1 },
  { id: 151, nom: 'Imprimante Canon Pixma', description: "Imprimante jet d'encre couleur multifonction", prix: 55000, stock: 8 },
  { id: 152, nom: 'Scanner Epson', description: 'Scanner à plat Perfection V39', prix: 70000, stock: 6 },
  { id: 153, nom: 'Téléphone fixe sans fil', description: 'Panasonic DECT avec répondeur', prix: 30000, stock: 14 },
  { id: 154, nom: 'Téléphone Nokia 105', description: 'Téléphone basique double SIM, lampe torche', prix: 12000, stock: 100 },
  { id: 155, nom: 'Panneau solaire 100 W', description: 'Panneau monocristallin pour kit solaire', prix: 55000, stock: 25 },
  { id: 156, nom: 'Batterie solaire 100 Ah', description: 'Batterie gel 12 V pour installation solaire', prix: 150000, stock: 8 },
  { id: 157, nom: 'Décodeur TNT HD', description: 'Décodeur DVB-T2 avec télécommande', prix: 15000, stock: 45 },
  { id: 158, nom: 'Barre de son Samsung', description: 'Barre de son 2.1 avec caisson de basses sans fil', prix: 150000, stock: 10 },
  { id: 159, nom: 'AirPods Pro', description: 'Apple AirPods Pro 2e génération, boîtier USB-C', prix: 180000, stock: 9 },
  { id: 160, nom: 'Chargeur sans fil', description: 'Chargeur à induction Qi, 15 W', prix: 15000, stock: 48 },
  { id: 161, nom: 'Ensemble clavier et souris', description: 'Logitech MK270, sans fil, AZERTY', prix: 25000, stock: 42 },
  { id: 162, nom: 'Ordinateur de bureau HP', description: 'HP ProDesk, Core i5, 8 Go, SSD 512 Go', prix: 480000, stock: 7 },
  { id: 163, nom: 'Stabilisateur de tension', description: 'Régulateur automatique 2000 VA', prix: 45000, stock: 20 },
  { id: 164, nom: 'Imprimante de tickets', description: 'Imprimante thermique 80 mm pour caisse', prix: 85000, stock: 6 },
  { id: 165, nom: 'iPhone 15 Pro Max', description: 'Apple iPhone 15 Pro Max, 256 Go, titane naturel', prix: 1150000, stock: 2 },
  { id: 166, nom: 'MacBook Pro 16 pouces', description: 'Puce M3 Pro, 18 Go, SSD 512 Go', prix: 1500000, stock: 1 },
]);
