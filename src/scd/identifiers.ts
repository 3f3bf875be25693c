/**
 * Direct identifiers of simulated patients: internal key, name, hospital record number, date
 * of birth and postcode. They look like real identifiers (so that de-identification has real
 * work to do) but are generated, never taken from people. Names mix the ancestries of SCD
 * patients in Europe (73% West African, 8% Caribbean, 10% European; CASiRe, scd-reference 1.1).
 */
import { SeededRandom } from './random';
import type { SimulatedSite } from './sites';

const GIVEN_F = ['Aminata', 'Fatou', 'Awa', 'Mariama', 'Adaeze', 'Chiamaka', 'Ngozi', 'Abena', 'Akosua', 'Esi', 'Aissatou', 'Kadiatou', 'Binta', 'Folake', 'Yetunde', 'Nadia', 'Amira', 'Grace', 'Precious', 'Blessing', 'Shanice', 'Keisha', 'Naomi', 'Sofia', 'Giulia', 'Emma', 'Lucia', 'Chloé', 'Inès', 'Fenna', 'Sara', 'Maryam'];
const GIVEN_M = ['Mamadou', 'Ibrahima', 'Moussa', 'Ousmane', 'Chinedu', 'Emeka', 'Kwame', 'Kofi', 'Yaw', 'Kwabena', 'Seydou', 'Abdoulaye', 'Tunde', 'Olumide', 'Samuel', 'Daniel', 'Youssef', 'Omar', 'Jayden', 'Tyrone', 'Malik', 'Elijah', 'Luca', 'Matteo', 'Daan', 'Hugo', 'Lucas', 'Pablo', 'Noah', 'Adam', 'Ismaël', 'David'];
const FAMILY = ['Diallo', 'Traoré', 'Koné', 'Camara', 'Ouédraogo', 'Mensah', 'Owusu', 'Boateng', 'Asante', 'Okafor', 'Okonkwo', 'Adeyemi', 'Balogun', 'Nwosu', 'Eze', 'Sow', 'Ba', 'Ndiaye', 'Diop', 'Fofana', 'Keita', 'Sissoko', 'Kamara', 'Bangura', 'Mbeki', 'Nkosi', 'Tshibangu', 'Kabongo', 'Mukendi', 'Ilunga', 'Brown', 'Campbell', 'Williams', 'Baptiste', 'Joseph', 'Pierre', 'Haddad', 'Mansour', 'Rossi', 'Esposito', 'de Vries', 'Jansen', 'García', 'Martínez', 'Dubois', 'Martin', 'Bakker', 'Fernández'];

const DAY_MS = 86400000;

/** Days since 1970-01-01 of an ISO date. */
export function isoToDays(iso: string): number {
  return Math.round(Date.parse(iso + 'T00:00:00Z') / DAY_MS);
}

/** A bijection of [0, 10^digits): keeps record numbers unique without a lookup table. */
function permuteDecimal(i: number, digits: number, key: number): number {
  const mod = 10 ** digits;
  // x -> (a x + b) mod 10^d is a permutation when a is coprime with 10 (1000003 is odd and
  // not a multiple of 5). Products stay below 2^53 for i < 10^9.
  return ((1000003 * (i % mod)) % mod + (key % mod)) % mod;
}

/** Hex of a 32-bit bijection of the patient index (murmur3 finaliser, invertible). */
function patientKey(i: number, seed: number): string {
  let x = (i ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return 'P' + (x >>> 0).toString(16).padStart(8, '0').toUpperCase();
}

/** Identifier columns for patients of all sites. */
export interface PatientIdentifiers {
  patientId: string[];
  name: string[];
  recordNumber: string[];
  dateOfBirth: Int32Array;
  /** Last day of follow-up (data cut-off, or death). */
  endDate: Int32Array;
  postcode: string[];
}

/**
 * Generates identifiers; `age` is age at the end of follow-up, `endOffsetDays` days before the cut-off that follow-up ended.
 * @example makeIdentifiers(sites, female, age, offsets, '2024-12-31', 7).name[0]
 */
export function makeIdentifiers(sites: SimulatedSite[], female: Uint8Array, age: Float64Array, endOffsetDays: Int32Array, referenceDate: string, seed: number): PatientIdentifiers {
  const n = female.length;
  const rng = new SeededRandom(seed, 'identifiers');
  const cutoff = isoToDays(referenceDate);
  const out: PatientIdentifiers = { patientId: new Array(n), name: new Array(n), recordNumber: new Array(n), dateOfBirth: new Int32Array(n), endDate: new Int32Array(n), postcode: new Array(n) };
  for (const [si, site] of sites.entries()) {
    const key = (seed ^ (si * 2654435761)) >>> 0;
    for (let i = site.start; i < site.end; i++) {
      out.patientId[i] = patientKey(i, seed);
      const given = female[i] ? GIVEN_F[rng.int(GIVEN_F.length)] : GIVEN_M[rng.int(GIVEN_M.length)];
      out.name[i] = `${given} ${FAMILY[rng.int(FAMILY.length)]}`;
      const local = i - site.start;
      switch (site.country) {
        case 'IT': out.recordNumber[i] = `MRN${String(permuteDecimal(local, 8, key)).padStart(8, '0')}`; break;
        case 'NL': out.recordNumber[i] = String(permuteDecimal(local, 7, key)).padStart(7, '0'); break;
        case 'ES': out.recordNumber[i] = `NHC${String(permuteDecimal(local, 7, key)).padStart(7, '0')}`; break;
        case 'FR': out.recordNumber[i] = `IPP${String(permuteDecimal(local, 9, key)).padStart(9, '0')}`; break;
        default: out.recordNumber[i] = `${site.code}-${String(permuteDecimal(local, 8, key)).padStart(8, '0')}`;
      }
      const end = cutoff - endOffsetDays[i];
      out.endDate[i] = end;
      out.dateOfBirth[i] = end - Math.round(age[i] * 365.25);
      const prefix = site.postcode_prefixes[rng.int(site.postcode_prefixes.length)];
      const digits = (k: number) => String(rng.int(10 ** k)).padStart(k, '0');
      if (site.country === 'NL') {
        const p4 = (prefix + digits(4)).slice(0, 4);
        out.postcode[i] = `${p4} ${String.fromCharCode(65 + rng.int(26))}${String.fromCharCode(65 + rng.int(26))}`;
      } else {
        out.postcode[i] = (prefix + digits(5)).slice(0, 5);
      }
    }
  }
  return out;
}

/** Age in whole days converted to years with one decimal (the `age_years` convention). */
export function ageYearsFromDays(days: number): number {
  return Math.floor((days / 365.25) * 10) / 10;
}
