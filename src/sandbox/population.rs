//! The sandbox registry's synthetic population.
//!
//! The sandbox IBR answers queries from demos and tests, so its people must be
//! (1) plausible enough to show a field officer what real answers look like,
//! (2) varied enough to exercise every outcome of a duplication check (active
//! in one or several programmes, graduated, suspended, deceased, known by a
//! birth registration number only, a different person with the same name and
//! birth date), and (3) exactly the same on every machine and every run, so
//! that a test or a demo script can name a person and find them again.
//!
//! Nothing is stored: a population is generated from a [`PopulationConfig`]
//! (size and seed) in well under a second for 100,000 people. Person `i`
//! depends only on the seed and on persons before it, so a smaller population
//! is a prefix of a larger one with the same seed. [`Population::samples`]
//! picks people of each kind for demos and tests.

use std::collections::HashMap;
use std::fmt;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::Serialize;

use crate::domain::{EnrolmentStatus, IdType, Identifier, Sex, normalize_name};

pub use super::names::{PROGRAMMES, Programme};
use super::names::{REGIONS, Region};

/// The largest population generated; a larger `size` is reduced to this.
///
/// Birth, marriage and death registration serials have seven digits and are
/// unique per person, and the top of each serial space is kept for
/// [`Samples::not_enrolled`]. Nine million people also need several
/// gigabytes of memory, far beyond what a demo needs.
pub const MAX_SIZE: usize = 9_000_000;

/// How many samples of each kind [`Population::samples`] returns at most.
const SAMPLES_PER_KIND: usize = 5;

/// UINs are the 10-digit numbers `1_000_000_000..=9_999_999_999`.
const UIN_BASE: u64 = 1_000_000_000;
const UIN_SPACE: u64 = 9_000_000_000;
/// A prime, so coprime to `UIN_SPACE` = 2⁹·3²·5⁹: `i ↦ i·M mod UIN_SPACE` is a
/// bijection, which makes UINs unique without a set, and far from sequential.
const UIN_MULTIPLIER: u64 = 2_654_435_761;

/// Registration serials are seven digits.
const SERIAL_SPACE: u64 = 10_000_000;
/// Multipliers ending in 1, 3, 7 or 9 are coprime to `SERIAL_SPACE` = 2⁷·5⁷.
const BRN_MULTIPLIER: u64 = 3_141_593;
const MRN_MULTIPLIER: u64 = 2_718_281;
const DRN_MULTIPLIER: u64 = 1_618_033;

const FIRST_BIRTH: NaiveDate = ymd(1930, 1, 1);
const LAST_BIRTH: NaiveDate = ymd(2024, 12, 31);
/// Children known by a birth registration number only are born from here on.
const FIRST_CHILD_BIRTH: NaiveDate = ymd(2010, 1, 1);
const FIRST_ENROLMENT: NaiveDate = ymd(2015, 1, 1);
/// Enrolments end two months before [`AS_OF`] so that a later status change
/// (graduation, suspension, death) always has room.
const LAST_ENROLMENT: NaiveDate = ymd(2025, 10, 31);
/// The day the population describes: no event happens after it. Fixed rather
/// than "today" so that the population does not change with the clock.
const AS_OF: NaiveDate = ymd(2025, 12, 31);

/// A date known at compile time (an invalid one fails the build, not a run).
const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d,
        None => panic!("invalid constant date"),
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PopulationConfig {
    /// Number of people (at most [`MAX_SIZE`]).
    pub size: usize,
    /// The same seed (and size) gives exactly the same people.
    pub seed: u64,
}

impl Default for PopulationConfig {
    /// 100,000 people: large enough for birth-date and name queries to return
    /// realistic crowds, small enough to generate in a fraction of a second.
    fn default() -> Self {
        PopulationConfig {
            size: 100_000,
            seed: 42,
        }
    }
}

/// One enrolment of a person in one programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrolment {
    /// Index into [`PROGRAMMES`] (always valid).
    pub programme: usize,
    pub status: EnrolmentStatus,
    pub enrolment_date: NaiveDate,
    /// When the status became what it is; `None` while Active.
    pub status_change_date: Option<NaiveDate>,
}

/// One synthetic person as the sandbox registry holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// Position in [`Population::people`].
    pub index: u32,
    /// Unique identification number: ten digits, no check digit. Absent only
    /// for children known by their birth registration number alone.
    pub uin: Option<String>,
    /// Birth registration number, `B<birth year>-<7-digit serial>`.
    pub brn: Option<String>,
    /// Marriage registration number, `M-<marriage year>-<7-digit serial>`.
    pub mrn: Option<String>,
    /// Death registration number, `D-<death year>-<7-digit serial>`; present
    /// exactly when the person is deceased.
    pub drn: Option<String>,
    pub given_name: String,
    pub second_name: Option<String>,
    pub surname: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub death_date: Option<NaiveDate>,
    /// When the person entered the registry: on or before the first enrolment.
    pub registration_date: NaiveDate,
    /// The region the names come from.
    pub region: &'static str,
    /// At least one, sorted by enrolment date.
    pub enrolments: Vec<Enrolment>,
}

impl Person {
    /// Every identifier the person has, in the order UIN, BRN, MRN, DRN.
    pub fn identifiers(&self) -> Vec<Identifier> {
        self.identifier_slots()
            .into_iter()
            .filter_map(|(t, v)| v.map(|v| Identifier::new(t, v)))
            .collect()
    }

    /// Whether the person has died (then every enrolment is Deceased and the
    /// person has a DRN).
    pub fn is_deceased(&self) -> bool {
        self.death_date.is_some()
    }

    /// How many enrolments are Active.
    fn active_count(&self) -> usize {
        self.enrolments.iter().filter(|e| e.status.is_active()).count()
    }

    /// Whether every enrolment has this status.
    fn all_enrolments(&self, status: &EnrolmentStatus) -> bool {
        !self.enrolments.is_empty() && self.enrolments.iter().all(|e| &e.status == status)
    }

    fn identifier_slots(&self) -> [(IdType, Option<&str>); 4] {
        [
            (IdType::Uin, self.uin.as_deref()),
            (IdType::Brn, self.brn.as_deref()),
            (IdType::Mrn, self.mrn.as_deref()),
            (IdType::Drn, self.drn.as_deref()),
        ]
    }
}

/// A generated population and the indexes the sandbox registry searches.
pub struct Population {
    seed: u64,
    people: Vec<Person>,
    /// One map per standard identifier type (see [`id_slot`]): value → person.
    /// Values are unique by construction, so one index per value suffices.
    by_identifier: [HashMap<String, u32>; 4],
    /// Every person's index, sorted by birth date (then index): the people
    /// born on a day are one contiguous run, found by binary search.
    by_birth_date: Vec<u32>,
    /// `(near-twin, person copied)` pairs, in generation order.
    near_twins: Vec<(u32, u32)>,
}

impl fmt::Debug for Population {
    /// Short on purpose: the people would fill any log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Population")
            .field("seed", &self.seed)
            .field("len", &self.people.len())
            .finish_non_exhaustive()
    }
}

/// Which of [`Population::by_identifier`]'s maps holds a type; `None` for
/// types the sandbox never issues.
fn id_slot(id_type: &IdType) -> Option<usize> {
    match id_type {
        IdType::Uin => Some(0),
        IdType::Brn => Some(1),
        IdType::Mrn => Some(2),
        IdType::Drn => Some(3),
        IdType::Other(_) => None,
    }
}

impl Population {
    /// Generates the population for `config`: the same config always gives the
    /// same people, on any machine.
    pub fn generate(config: &PopulationConfig) -> Population {
        let size = config.size.min(MAX_SIZE);
        let generator = Generator::new(config.seed);
        let mut people: Vec<Person> = Vec::with_capacity(size);
        let mut near_twins = Vec::new();
        let mut scratch = Vec::new();
        for index in 0..size {
            // `size <= MAX_SIZE < u32::MAX`, so the index fits.
            let index = index as u32;
            let (person, twin_of) = generator.person(index, &people, &mut scratch);
            if let Some(original) = twin_of {
                near_twins.push((index, original));
            }
            people.push(person);
        }

        let mut by_identifier: [HashMap<String, u32>; 4] = Default::default();
        by_identifier[0].reserve(size);
        for person in &people {
            for (id_type, value) in person.identifier_slots() {
                if let (Some(slot), Some(value)) = (id_slot(&id_type), value) {
                    by_identifier[slot].insert(value.to_string(), person.index);
                }
            }
        }

        let mut by_birth_date: Vec<u32> = (0..people.len() as u32).collect();
        // Stable, so people born on the same day stay in index order.
        by_birth_date.sort_by_key(|&i| people[i as usize].birth_date);

        Population {
            seed: config.seed,
            people,
            by_identifier,
            by_birth_date,
            near_twins,
        }
    }

    /// Number of people (the configured size, capped at [`MAX_SIZE`]).
    pub fn len(&self) -> usize {
        self.people.len()
    }

    /// Whether the population has nobody (size 0 is allowed: a registry
    /// that knows no one answers every query with "no match").
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// The seed the population was generated from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Person `index`, as the indexes return them.
    pub fn get(&self, index: u32) -> Option<&Person> {
        self.people.get(index as usize)
    }

    /// Everyone, in index order.
    pub fn people(&self) -> &[Person] {
        &self.people
    }

    /// The people holding exactly this identifier (the value is compared as
    /// written, like a registry compares identifiers). Identifiers are unique,
    /// so the slice has at most one index.
    pub fn find_by_identifier(&self, id_type: &IdType, value: &str) -> &[u32] {
        id_slot(id_type)
            .and_then(|slot| self.by_identifier[slot].get(value))
            .map(std::slice::from_ref)
            .unwrap_or(&[])
    }

    /// The people born on `date`, in index order.
    pub fn find_by_birth_date(&self, date: NaiveDate) -> &[u32] {
        let born = |i: &u32| self.people[*i as usize].birth_date;
        let start = self.by_birth_date.partition_point(|i| born(i) < date);
        let end = self.by_birth_date.partition_point(|i| born(i) <= date);
        &self.by_birth_date[start..end]
    }

    /// The people born on `birth_date` whose given name and surname agree with
    /// these as [`normalize_name`] compares names (case, accents, hyphens and
    /// spacing ignored). The second name is not compared.
    pub fn find_by_name_and_birth_date(&self, given_name: &str, surname: &str, birth_date: NaiveDate) -> Vec<u32> {
        let given_name = normalize_name(given_name);
        let surname = normalize_name(surname);
        self.find_by_birth_date(birth_date)
            .iter()
            .copied()
            .filter(|&i| {
                let p = &self.people[i as usize];
                normalize_name(&p.given_name) == given_name && normalize_name(&p.surname) == surname
            })
            .collect()
    }

    /// Up to five people of each kind a demo or test needs, always the same
    /// ones for the same population.
    ///
    /// Apart from `near_twins`, samples are people nobody else shares a name
    /// and birth date with, so that a check on them has one clear answer.
    pub fn samples(&self) -> Samples {
        let mut s = Samples {
            active_single: Vec::new(),
            active_multi: Vec::new(),
            graduated: Vec::new(),
            suspended: Vec::new(),
            deceased: Vec::new(),
            two_identifiers: Vec::new(),
            brn_only: Vec::new(),
            near_twins: self.near_twin_samples(),
            not_enrolled: self.generator().not_enrolled(),
        };
        let graduated = EnrolmentStatus::Graduated;
        let suspended = EnrolmentStatus::Suspended;
        let room = |v: usize| v < SAMPLES_PER_KIND;
        for p in &self.people {
            if !(room(s.active_single.len())
                || room(s.active_multi.len())
                || room(s.graduated.len())
                || room(s.suspended.len())
                || room(s.deceased.len())
                || room(s.two_identifiers.len())
                || room(s.brn_only.len()))
            {
                break;
            }
            let Some(uin) = &p.uin else {
                if let Some(brn) = &p.brn
                    && room(s.brn_only.len())
                    && self.has_unique_name(p)
                {
                    s.brn_only.push(Identifier::new(IdType::Brn, brn));
                }
                continue;
            };
            let uin = Identifier::new(IdType::Uin, uin);
            let active = p.active_count();
            let kinds = [
                (active == 1 && !p.is_deceased(), &mut s.active_single),
                (active >= 2 && !p.is_deceased(), &mut s.active_multi),
                (p.all_enrolments(&graduated), &mut s.graduated),
                (p.all_enrolments(&suspended), &mut s.suspended),
                (p.is_deceased(), &mut s.deceased),
            ];
            let mut unique = None;
            for (is_kind, list) in kinds {
                if is_kind && room(list.len()) && *unique.get_or_insert_with(|| self.has_unique_name(p)) {
                    list.push(uin.clone());
                }
            }
            if let Some(brn) = &p.brn
                && room(s.two_identifiers.len())
                && *unique.get_or_insert_with(|| self.has_unique_name(p))
            {
                s.two_identifiers.push((uin.clone(), Identifier::new(IdType::Brn, brn)));
            }
        }
        s
    }

    /// Whether nobody else has this person's name and birth date.
    fn has_unique_name(&self, p: &Person) -> bool {
        self.find_by_name_and_birth_date(&p.given_name, &p.surname, p.birth_date)
            .len()
            == 1
    }

    fn near_twin_samples(&self) -> Vec<NearTwinSample> {
        let mut out: Vec<NearTwinSample> = Vec::new();
        for &(twin, _) in &self.near_twins {
            if out.len() == SAMPLES_PER_KIND {
                break;
            }
            let p = &self.people[twin as usize];
            let same = |t: &NearTwinSample| {
                t.birth_date == p.birth_date && t.given_name == p.given_name && t.surname == p.surname
            };
            if out.iter().any(same) {
                continue;
            }
            let uins: Vec<String> = self
                .find_by_name_and_birth_date(&p.given_name, &p.surname, p.birth_date)
                .iter()
                .filter_map(|&i| self.people[i as usize].uin.clone())
                .collect();
            if uins.len() >= 2 {
                out.push(NearTwinSample {
                    given_name: p.given_name.clone(),
                    surname: p.surname.clone(),
                    birth_date: p.birth_date,
                    uins,
                });
            }
        }
        out
    }

    fn generator(&self) -> Generator {
        Generator::new(self.seed)
    }
}

/// People of each kind, for demos, documentation and tests. Each list has at
/// most five entries, fewer when the population has fewer such people.
#[derive(Debug, Clone, Serialize)]
pub struct Samples {
    /// UINs of people Active in exactly one programme.
    pub active_single: Vec<Identifier>,
    /// UINs of people Active in two or more programmes.
    pub active_multi: Vec<Identifier>,
    /// UINs of people whose every enrolment is Graduated.
    pub graduated: Vec<Identifier>,
    /// UINs of people whose every enrolment is Suspended.
    pub suspended: Vec<Identifier>,
    /// UINs of deceased people (their enrolments are Deceased; they have a DRN).
    pub deceased: Vec<Identifier>,
    /// `(UIN, BRN)` of people who have both.
    pub two_identifiers: Vec<(Identifier, Identifier)>,
    /// BRNs of children who have no UIN.
    pub brn_only: Vec<Identifier>,
    /// Different people (different UINs) with the same name and birth date.
    pub near_twins: Vec<NearTwinSample>,
    /// Well-formed identifiers that no one in the population holds: four UINs
    /// and one BRN. They never collide with a person, whatever the size.
    pub not_enrolled: Vec<Identifier>,
}

/// A name and birth date that several people share.
#[derive(Debug, Clone, Serialize)]
pub struct NearTwinSample {
    pub given_name: String,
    pub surname: String,
    pub birth_date: NaiveDate,
    /// The UINs of everyone with this name and birth date (two or more).
    pub uins: Vec<String>,
}

/// SplitMix64 (Steele, Lea & Flood, 2014): a tiny, fast generator with good
/// statistical quality.
///
/// Written here rather than taken from the `rand` crate because the
/// population must be identical across machines and crate upgrades: `rand`
/// does not promise that its generators or its sampling stay the same between
/// versions, and a changed population would break every test and demo script
/// that names a person.
struct SplitMix64(u64);

impl SplitMix64 {
    const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

    /// The generator for one person: independent of every other person's, so
    /// that person `i` does not depend on how many people follow.
    fn for_person(seed: u64, index: u32) -> SplitMix64 {
        SplitMix64(mix64(mix64(seed) ^ mix64(u64::from(index) + 1)))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(Self::GAMMA);
        mix64(self.0)
    }

    /// A number in `0..n` (`0` when `n` is 0). Multiply-shift rather than
    /// rejection: the bias, below n/2⁶⁴, does not matter here.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True `per_mille` times in a thousand.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// One element of a non-empty table.
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        // The tables are static and non-empty (a test checks), so in range.
        items[self.below(items.len() as u64) as usize]
    }

    /// A day in `lo..=hi` (`lo` when the range is empty).
    fn date(&mut self, lo: NaiveDate, hi: NaiveDate) -> NaiveDate {
        let span = (hi - lo).num_days();
        if span <= 0 {
            return lo;
        }
        let offset = self.below(span as u64 + 1);
        // `lo + offset` is at most `hi`, a valid date.
        lo.checked_add_days(Days::new(offset)).unwrap_or(hi)
    }
}

/// SplitMix64's output function: a bijective 64-bit mix.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n ↦ (n·multiplier + offset) mod space`: a bijection of `0..space` when
/// `multiplier` and `space` are coprime. In 128 bits, so it cannot overflow.
fn permute(n: u64, multiplier: u64, offset: u64, space: u64) -> u64 {
    let v = (u128::from(n) * u128::from(multiplier) + u128::from(offset)) % u128::from(space);
    // Less than `space`, a u64.
    v as u64
}

/// `date` plus whole years (29 February becomes 28 February).
fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    date.checked_add_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MAX)
}

/// What happened to a person's enrolments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    ActiveSingle,
    ActiveMulti,
    Graduated,
    Suspended,
    Deceased,
}

impl Fate {
    /// 3% deceased, 7% graduated, 5% suspended, 10% active in 2–3
    /// programmes, the rest active in one.
    fn draw(rng: &mut SplitMix64) -> Fate {
        match rng.below(1000) {
            0..30 => Fate::Deceased,
            30..100 => Fate::Graduated,
            100..150 => Fate::Suspended,
            150..250 => Fate::ActiveMulti,
            _ => Fate::ActiveSingle,
        }
    }
}

/// The seed and what derives from it: everything needed to make person `i`.
struct Generator {
    seed: u64,
    uin_offset: u64,
    brn_offset: u64,
    mrn_offset: u64,
    drn_offset: u64,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        let offset = |salt: u64, space: u64| mix64(seed ^ salt) % space;
        Generator {
            seed,
            uin_offset: offset(0x5549_4e00, UIN_SPACE),
            brn_offset: offset(0x4252_4e00, SERIAL_SPACE),
            mrn_offset: offset(0x4d52_4e00, SERIAL_SPACE),
            drn_offset: offset(0x4452_4e00, SERIAL_SPACE),
        }
    }

    /// The UIN of number `n`: a bijection of `0..UIN_SPACE` onto the 10-digit
    /// numbers, so distinct `n` never share a UIN.
    fn uin(&self, n: u64) -> String {
        (permute(n, UIN_MULTIPLIER, self.uin_offset, UIN_SPACE) + UIN_BASE).to_string()
    }

    /// A 7-digit registration serial: a bijection of `0..SERIAL_SPACE`.
    fn serial(n: u64, multiplier: u64, offset: u64) -> u64 {
        permute(n, multiplier, offset, SERIAL_SPACE)
    }

    fn brn(&self, n: u64, birth_year: i32) -> String {
        let serial = Self::serial(n, BRN_MULTIPLIER, self.brn_offset);
        format!("B{birth_year}-{serial:07}")
    }

    /// Identifiers from the top of each number space, which persons (numbered
    /// below [`MAX_SIZE`]) never reach.
    fn not_enrolled(&self) -> Vec<Identifier> {
        let mut ids: Vec<Identifier> = (1..=4)
            .map(|k| Identifier::new(IdType::Uin, self.uin(UIN_SPACE - k)))
            .collect();
        ids.push(Identifier::new(IdType::Brn, self.brn(SERIAL_SPACE - 1, 2015)));
        ids
    }

    /// Person `index`, and the earlier person it is a near-twin of. `earlier`
    /// holds persons `0..index`; `scratch` is reused to avoid an allocation
    /// per person.
    fn person(
        &self,
        index: u32,
        earlier: &[Person],
        scratch: &mut Vec<(usize, NaiveDate, NaiveDate)>,
    ) -> (Person, Option<u32>) {
        let rng = &mut SplitMix64::for_person(self.seed, index);
        let n = u64::from(index);
        let fate = Fate::draw(rng);
        // About 1% copy an earlier person's name, sex and birth date.
        let twin_of = (index > 0 && rng.chance(10)).then(|| rng.below(n) as u32);
        // About 3% of everyone: young children known by their BRN alone.
        let brn_only = twin_of.is_none() && fate == Fate::ActiveSingle && rng.chance(40);

        let (region, sex, given_name, surname, birth_date) = match twin_of.and_then(|j| earlier.get(j as usize)) {
            Some(o) => (
                REGIONS.iter().find(|r| r.name == o.region).unwrap_or(&REGIONS[0]),
                o.sex.clone(),
                o.given_name.clone(),
                o.surname.clone(),
                o.birth_date,
            ),
            None => {
                let region: &Region = &REGIONS[rng.below(REGIONS.len() as u64) as usize];
                let sex = if rng.chance(500) { Sex::Female } else { Sex::Male };
                let given = rng.pick(given_names(region, &sex));
                let surname = rng.pick(region.surnames);
                let first = if brn_only { FIRST_CHILD_BIRTH } else { FIRST_BIRTH };
                let birth = rng.date(first, LAST_BIRTH);
                (region, sex, given.to_string(), surname.to_string(), birth)
            }
        };
        let second_name = second_name(rng, region, &sex, &given_name);

        let enrolments_wanted = match fate {
            Fate::ActiveMulti => 2 + rng.below(2) as usize,
            _ => 1,
        };
        let mut enrolments = enrol(rng, birth_date, enrolments_wanted, scratch);
        let last_enrolment = enrolments
            .iter()
            .map(|e| e.enrolment_date)
            .max()
            .unwrap_or(LAST_ENROLMENT);
        let death_date = (fate == Fate::Deceased).then(|| {
            let earliest = last_enrolment.checked_add_days(Days::new(1));
            rng.date(earliest.unwrap_or(AS_OF), AS_OF)
        });
        let status = match fate {
            Fate::ActiveSingle | Fate::ActiveMulti => EnrolmentStatus::Active,
            Fate::Graduated => EnrolmentStatus::Graduated,
            Fate::Suspended => EnrolmentStatus::Suspended,
            Fate::Deceased => EnrolmentStatus::Deceased,
        };
        for e in &mut enrolments {
            e.status = status.clone();
            e.status_change_date = match fate {
                Fate::ActiveSingle | Fate::ActiveMulti => None,
                Fate::Deceased => death_date,
                Fate::Graduated | Fate::Suspended => {
                    let after = e.enrolment_date.checked_add_days(Days::new(30));
                    Some(rng.date(after.unwrap_or(AS_OF), AS_OF))
                }
            };
        }

        let first_enrolment = enrolments.first().map_or(LAST_ENROLMENT, |e| e.enrolment_date);
        let three_years_before = first_enrolment
            .checked_sub_months(Months::new(36))
            .unwrap_or(birth_date);
        let registration_date = rng.date(three_years_before.max(birth_date), first_enrolment);

        let uin = (!brn_only).then(|| self.uin(n));
        let brn = (brn_only || rng.chance(250)).then(|| self.brn(n, birth_date.year()));
        let last_day = death_date.unwrap_or(AS_OF);
        let adult = add_years(birth_date, 18);
        let mrn = (adult <= last_day && rng.chance(100)).then(|| {
            let year = rng.date(adult, last_day).year();
            let serial = Self::serial(n, MRN_MULTIPLIER, self.mrn_offset);
            format!("M-{year}-{serial:07}")
        });
        let drn = death_date.map(|d| {
            let serial = Self::serial(n, DRN_MULTIPLIER, self.drn_offset);
            format!("D-{}-{serial:07}", d.year())
        });

        let person = Person {
            index,
            uin,
            brn,
            mrn,
            drn,
            given_name,
            second_name,
            surname,
            sex,
            birth_date,
            death_date,
            registration_date,
            region: region.name,
            enrolments,
        };
        (person, twin_of)
    }
}

fn given_names(region: &Region, sex: &Sex) -> &'static [&'static str] {
    match sex {
        Sex::Female => region.female,
        _ => region.male,
    }
}

/// A second name for about one person in five (three in five where the
/// region has customary second names, like Vietnamese `Thị` and `Văn`).
fn second_name(rng: &mut SplitMix64, region: &Region, sex: &Sex, given: &str) -> Option<String> {
    let customary = match sex {
        Sex::Female => region.female_second,
        _ => region.male_second,
    };
    let chance = if customary.is_empty() { 200 } else { 600 };
    if !rng.chance(chance) {
        return None;
    }
    let table = if customary.is_empty() {
        given_names(region, sex)
    } else {
        customary
    };
    let name = rng.pick(table);
    (name != given).then(|| name.to_string())
}

/// Up to `wanted` enrolments in distinct programmes the person was eligible
/// for (by age and launch year), Active for now, sorted by date. Everyone
/// born by [`LAST_ENROLMENT`] is eligible for at least one programme.
fn enrol(
    rng: &mut SplitMix64,
    birth: NaiveDate,
    wanted: usize,
    eligible: &mut Vec<(usize, NaiveDate, NaiveDate)>,
) -> Vec<Enrolment> {
    eligible.clear();
    for (i, p) in PROGRAMMES.iter().enumerate() {
        let launch = NaiveDate::from_ymd_opt(p.launch_year, 1, 1).unwrap_or(FIRST_ENROLMENT);
        let lo = FIRST_ENROLMENT.max(launch).max(add_years(birth, p.min_age));
        let too_old = add_years(birth, p.max_age.saturating_add(1));
        let hi = LAST_ENROLMENT.min(too_old.pred_opt().unwrap_or(too_old));
        if lo <= hi {
            eligible.push((i, lo, hi));
        }
    }
    let mut enrolments = Vec::with_capacity(wanted);
    for k in 0..wanted.min(eligible.len()) {
        // Partial Fisher–Yates: a uniform choice of distinct programmes.
        let j = k + rng.below((eligible.len() - k) as u64) as usize;
        eligible.swap(k, j);
        let (programme, lo, hi) = eligible[k];
        enrolments.push(Enrolment {
            programme,
            status: EnrolmentStatus::Active,
            enrolment_date: rng.date(lo, hi),
            status_change_date: None,
        });
    }
    enrolments.sort_by_key(|e| e.enrolment_date);
    enrolments
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn population(size: usize, seed: u64) -> Population {
        Population::generate(&PopulationConfig { size, seed })
    }

    fn person_with<'a>(pop: &'a Population, id: &Identifier) -> &'a Person {
        let found = pop.find_by_identifier(&id.id_type, &id.value);
        assert_eq!(found.len(), 1, "{id} should be found once");
        pop.get(found[0]).unwrap()
    }

    #[test]
    fn tables_are_usable() {
        assert!((6..=8).contains(&PROGRAMMES.len()));
        assert!(PROGRAMMES.iter().any(|p| !p.name.is_ascii()));
        assert!(REGIONS.len() >= 7);
        for r in REGIONS {
            for table in [r.female, r.male, r.surnames] {
                assert!((20..=40).contains(&table.len()), "{}", r.name);
                let distinct: HashSet<_> = table.iter().collect();
                assert_eq!(distinct.len(), table.len(), "repeated name in {}", r.name);
            }
        }
    }

    #[test]
    fn same_config_gives_same_people() {
        let a = population(5_000, 7);
        let b = population(5_000, 7);
        assert_eq!(a.people(), b.people());
        assert_eq!(a.seed(), 7);
        // A smaller population is a prefix of a larger one.
        assert_eq!(population(1_000, 7).people(), &a.people()[..1_000]);
    }

    #[test]
    fn different_seeds_give_different_people() {
        let a = population(1_000, 1);
        let b = population(1_000, 2);
        let same = a
            .people()
            .iter()
            .zip(b.people())
            .filter(|(x, y)| x.uin == y.uin || (x.given_name == y.given_name && x.surname == y.surname))
            .count();
        assert!(same < 20, "{same} of 1000 people alike");
    }

    #[test]
    fn uins_are_unique_and_well_formed() {
        let pop = population(200_000, 42);
        let uins: Vec<&str> = pop.people().iter().filter_map(|p| p.uin.as_deref()).collect();
        assert!(uins.len() > 190_000);
        let distinct: HashSet<&str> = uins.iter().copied().collect();
        assert_eq!(distinct.len(), uins.len());
        for u in &uins {
            assert!(u.len() == 10 && u.bytes().all(|b| b.is_ascii_digit()) && !u.starts_with('0'));
        }
        // Every identifier of every type is indexed, hence unique too.
        let ids: usize = pop.people().iter().map(|p| p.identifiers().len()).sum();
        let indexed: usize = pop.by_identifier.iter().map(HashMap::len).sum();
        assert_eq!(ids, indexed);
    }

    #[test]
    fn people_are_plausible_and_the_mix_is_roughly_right() {
        let pop = population(20_000, 3);
        let mut deceased = 0;
        for p in pop.people() {
            assert!(!p.enrolments.is_empty());
            assert!((FIRST_BIRTH..=LAST_BIRTH).contains(&p.birth_date));
            assert!(p.registration_date >= p.birth_date);
            for e in &p.enrolments {
                assert!(p.registration_date <= e.enrolment_date);
                assert!((FIRST_ENROLMENT..=LAST_ENROLMENT).contains(&e.enrolment_date));
                let prog = &PROGRAMMES[e.programme];
                assert!(e.enrolment_date.year() >= prog.launch_year);
                assert!(add_years(p.birth_date, prog.min_age) <= e.enrolment_date);
                if let Some(d) = e.status_change_date {
                    assert!(d > e.enrolment_date && d <= AS_OF);
                }
                assert_eq!(e.status_change_date.is_none(), e.status.is_active());
            }
            assert_eq!(p.is_deceased(), p.drn.is_some());
            if let Some(d) = p.death_date {
                deceased += 1;
                assert!(p.all_enrolments(&EnrolmentStatus::Deceased));
                assert!(p.enrolments.iter().all(|e| e.status_change_date == Some(d)));
            }
            if p.uin.is_none() {
                assert!(p.brn.is_some() && p.birth_date >= FIRST_CHILD_BIRTH);
            }
        }
        let share = |count: usize| count * 100 / pop.len();
        let count = |f: &dyn Fn(&Person) -> bool| pop.people().iter().filter(|p| f(p)).count();
        assert!((2..=4).contains(&share(deceased)));
        assert!((2..=4).contains(&share(count(&|p| p.uin.is_none()))));
        assert!((21..=28).contains(&share(count(&|p| p.uin.is_some() && p.brn.is_some()))));
        assert!((8..=12).contains(&share(count(&|p| p.active_count() >= 2))));
        assert!((68..=80).contains(&share(count(&|p| p.active_count() == 1))));
        assert!((6..=12).contains(&share(count(&|p| p.mrn.is_some()))));
        assert!(pop.people().iter().any(|p| !p.surname.is_ascii()));
        assert!(pop.people().iter().any(|p| p.second_name.is_some()));
    }

    #[test]
    fn every_sample_has_the_property_it_claims() {
        let pop = population(10_000, 42);
        let s = pop.samples();
        for list in [
            &s.active_single,
            &s.active_multi,
            &s.graduated,
            &s.suspended,
            &s.deceased,
            &s.brn_only,
        ] {
            assert_eq!(list.len(), SAMPLES_PER_KIND);
        }
        assert_eq!(s.two_identifiers.len(), SAMPLES_PER_KIND);
        assert_eq!(s.near_twins.len(), SAMPLES_PER_KIND);

        for id in &s.active_single {
            assert_eq!(person_with(&pop, id).active_count(), 1);
        }
        for id in &s.active_multi {
            assert!(person_with(&pop, id).active_count() >= 2);
        }
        for id in &s.graduated {
            assert!(person_with(&pop, id).all_enrolments(&EnrolmentStatus::Graduated));
        }
        for id in &s.suspended {
            assert!(person_with(&pop, id).all_enrolments(&EnrolmentStatus::Suspended));
        }
        for id in &s.deceased {
            let p = person_with(&pop, id);
            assert!(p.is_deceased() && p.drn.is_some());
            assert!(p.all_enrolments(&EnrolmentStatus::Deceased));
            let drn = Identifier::new(IdType::Drn, p.drn.clone().unwrap());
            assert_eq!(person_with(&pop, &drn).index, p.index);
        }
        for (uin, brn) in &s.two_identifiers {
            assert_eq!((&uin.id_type, &brn.id_type), (&IdType::Uin, &IdType::Brn));
            assert_eq!(person_with(&pop, uin).index, person_with(&pop, brn).index);
        }
        for id in &s.brn_only {
            assert_eq!(id.id_type, IdType::Brn);
            assert!(person_with(&pop, id).uin.is_none());
        }
        for kind in [&s.active_single, &s.deceased] {
            assert!(kind.iter().all(|id| id.id_type == IdType::Uin));
        }
    }

    #[test]
    fn near_twins_share_name_and_birth_date_but_not_uin() {
        let pop = population(10_000, 42);
        for t in pop.samples().near_twins {
            let found = pop.find_by_name_and_birth_date(&t.given_name, &t.surname, t.birth_date);
            assert!(found.len() >= 2);
            let uins: HashSet<&str> = found
                .iter()
                .filter_map(|&i| pop.get(i).unwrap().uin.as_deref())
                .collect();
            assert!(uins.len() >= 2);
            assert_eq!(uins.len(), t.uins.len());
            // Found however the name is typed.
            let shouted = t.given_name.to_uppercase();
            assert_eq!(
                pop.find_by_name_and_birth_date(&shouted, &t.surname, t.birth_date),
                found
            );
        }
    }

    #[test]
    fn not_enrolled_identifiers_are_not_found() {
        for size in [0, 10, 10_000] {
            let pop = population(size, 42);
            let ids = pop.samples().not_enrolled;
            assert_eq!(ids.iter().filter(|i| i.id_type == IdType::Uin).count(), 4);
            assert_eq!(ids.iter().filter(|i| i.id_type == IdType::Brn).count(), 1);
            for id in &ids {
                assert!(pop.find_by_identifier(&id.id_type, &id.value).is_empty());
            }
        }
    }

    #[test]
    fn lookups_find_what_was_generated() {
        let pop = population(2_000, 5);
        let p = &pop.people()[1234];
        for id in p.identifiers() {
            assert_eq!(pop.find_by_identifier(&id.id_type, &id.value), &[p.index]);
        }
        assert!(pop.find_by_birth_date(p.birth_date).contains(&p.index));
        assert!(
            pop.find_by_birth_date(p.birth_date)
                .iter()
                .all(|&i| pop.get(i).unwrap().birth_date == p.birth_date)
        );
        assert!(
            pop.find_by_name_and_birth_date(&p.given_name, &p.surname, p.birth_date)
                .contains(&p.index)
        );
        let other = IdType::Other("NID".into());
        assert!(
            pop.find_by_identifier(&other, p.uin.as_deref().unwrap_or(""))
                .is_empty()
        );
        assert!(pop.get(2_000).is_none());
    }

    #[test]
    fn tiny_populations_work() {
        for size in [0, 1, 10] {
            let pop = population(size, 42);
            assert_eq!(pop.len(), size);
            assert_eq!(pop.is_empty(), size == 0);
            let s = pop.samples();
            assert!(s.active_single.len() <= SAMPLES_PER_KIND);
            assert!(serde_json::to_string(&s).is_ok());
        }
    }
}
