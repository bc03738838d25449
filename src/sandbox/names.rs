//! The tables the synthetic population is drawn from: programmes, regions and
//! their names.
//!
//! They live apart from the generator so that the code in `population` stays
//! short and the data can be read (and corrected) on its own. The names are
//! deliberately varied and written with their accents, dots and hooks
//! (`Ọlá Adébáyọ̀`, `Nguyễn`, `Łukasz`, `Al-Hassan`): a duplicate check that
//! only works on ASCII names would pass a demo and fail in a field office.
//! Each region has 25–35 names per sex and as many surnames, so that two
//! unrelated people rarely share a name and a birth date; the population adds
//! the near-twins it wants on purpose.

/// A social-protection programme of the sandbox registry.
///
/// Besides the two strings the registry reports, a programme carries the
/// year it was launched and the ages it serves, so that the generator never
/// enrols a newborn in a pension or anyone before the programme existed: a
/// demo record that is impossible on its face distracts from the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Programme {
    /// The programme identifier the registry reports (`CCT-2023`).
    pub identifier: &'static str,
    /// The programme name the registry reports.
    pub name: &'static str,
    /// First year anyone can be enrolled.
    pub launch_year: i32,
    /// Youngest age (in whole years) at enrolment.
    pub min_age: u32,
    /// Oldest age (in whole years) at enrolment.
    pub max_age: u32,
}

/// The programmes of the sandbox registry. Enrolments refer to them by index,
/// so the order is part of the population's determinism: append, don't
/// reorder.
pub static PROGRAMMES: &[Programme] = &[
    Programme {
        identifier: "CCT-2023",
        name: "Child Cash Transfer",
        launch_year: 2023,
        min_age: 0,
        max_age: 17,
    },
    Programme {
        identifier: "OAP-2019",
        name: "Old Age Pension",
        launch_year: 2019,
        min_age: 60,
        max_age: 120,
    },
    Programme {
        identifier: "DSG-2021",
        name: "Disability Support Grant",
        launch_year: 2021,
        min_age: 0,
        max_age: 120,
    },
    Programme {
        identifier: "PWP-2022",
        name: "Public Works Programme",
        launch_year: 2022,
        min_age: 18,
        max_age: 64,
    },
    Programme {
        identifier: "FSV-2024",
        name: "Food Security Voucher",
        launch_year: 2024,
        min_age: 0,
        max_age: 120,
    },
    Programme {
        identifier: "AFE-2020",
        name: "Allocation familiale « Espoir »",
        launch_year: 2020,
        min_age: 0,
        max_age: 120,
    },
    Programme {
        identifier: "HIS-2015",
        name: "Health Insurance Subsidy",
        launch_year: 2015,
        min_age: 0,
        max_age: 120,
    },
];

/// Where a person's names come from.
///
/// A person's given name, second name and surname are all drawn from one
/// region, so that names look like names people actually have.
#[derive(Debug)]
pub struct Region {
    /// The region's name, reported as the person's region.
    pub name: &'static str,
    /// Given names for women.
    pub female: &'static [&'static str],
    /// Given names for men.
    pub male: &'static [&'static str],
    pub surnames: &'static [&'static str],
    /// Second names for women; when empty, another female given name is used.
    pub female_second: &'static [&'static str],
    /// Second names for men; when empty, another male given name is used.
    pub male_second: &'static [&'static str],
}

/// The regions of the sandbox population. Order matters as for
/// [`PROGRAMMES`].
// Not formatted: rustfmt would put each of the ~700 names on its own line.
#[rustfmt::skip]
pub static REGIONS: &[Region] = &[
    Region {
        name: "West Africa",
        female: &[
            "Amina", "Aminata", "Fatoumata", "Aïssatou", "Mariama", "Kadiatou", "Ọlá",
            "Adaeze", "Chiamaka", "Ngozi", "Folake", "Yetunde", "Abena", "Akosua", "Efua",
            "Adjoa", "Awa", "Binta", "Khady", "Ndèye", "Rokhaya", "Oumou", "Salimata",
            "Fanta", "Kémi", "Ifeoma", "Títílayọ̀", "Fúnmiláyọ̀", "Nafissatou", "Ramatoulaye",
        ],
        male: &[
            "Mamadou", "Ibrahima", "Ousmane", "Moussa", "Abdoulaye", "Cheikh", "Boubacar",
            "Seydou", "Kwame", "Kofi", "Kwabena", "Yaw", "Kojo", "Chinedu", "Emeka",
            "Obinna", "Olúwaṣeun", "Babátúndé", "Ọládélé", "Adébáyọ̀", "Sékou", "Lamine",
            "Modou", "Alassane", "Idrissa", "Yacouba", "Souleymane", "Ikechukwu", "Tèmítọ́pẹ́",
        ],
        surnames: &[
            "Diallo", "Traoré", "Coulibaly", "Keïta", "Konaté", "Camara", "Sow", "Ndiaye",
            "Diop", "Fall", "Sy", "Cissé", "Touré", "Sangaré", "Mensah", "Owusu", "Asante",
            "Boateng", "Appiah", "Adébáyọ̀", "Ọlátúnjí", "Okafor", "Okonkwo", "Eze", "Nwosu",
            "Adéyẹmí", "Balógun", "Ouédraogo", "Kaboré", "Sawadogo", "Zongo", "Bah",
        ],
        female_second: &[],
        male_second: &[],
    },
    Region {
        name: "East Africa",
        female: &[
            "Wanjiru", "Wambui", "Njeri", "Achieng", "Atieno", "Akinyi", "Nyambura",
            "Wairimu", "Chebet", "Jepkosgei", "Nafula", "Nekesa", "Mwajuma", "Rehema",
            "Neema", "Zawadi", "Upendo", "Imani", "Halima", "Tigist", "Meseret", "Hiwot",
            "Selamawit", "Ayaan", "Hodan", "Nakato", "Namubiru", "Uwase", "Mukamana",
        ],
        male: &[
            "Kamau", "Mwangi", "Otieno", "Odhiambo", "Ochieng", "Kipchoge", "Kiprono",
            "Wekesa", "Baraka", "Juma", "Hamisi", "Rashidi", "Salim", "Tesfaye", "Dawit",
            "Yohannes", "Abebe", "Getachew", "Abdirahman", "Abdi", "Farah", "Mugisha",
            "Habimana", "Ssempala", "Okello", "Mukasa", "Kiprotich", "Mosi", "Jabali",
        ],
        surnames: &[
            "Kamau", "Mwangi", "Njoroge", "Kariuki", "Otieno", "Odhiambo", "Ouma", "Kiptoo",
            "Rotich", "Wafula", "Mutua", "Musyoka", "Mollel", "Massawe", "Kimaro",
            "Tesfaye", "Bekele", "Haile", "Girma", "Tadesse", "Abdi", "Warsame", "Mukasa",
            "Okello", "Nsubuga", "Uwimana", "Niyonzima", "Habyarimana", "Wanyama", "Chepkoech",
        ],
        female_second: &[],
        male_second: &[],
    },
    Region {
        name: "South Asia",
        female: &[
            "Priya", "Anjali", "Sunita", "Pooja", "Neha", "Kavita", "Lakshmi", "Meena",
            "Deepa", "Shreya", "Ananya", "Divya", "Rekha", "Geeta", "Sita", "Radha",
            "Fatema", "Nasreen", "Shabnam", "Ayesha", "Farzana", "Rukhsana", "Nirmala",
            "Savitri", "Kamala", "Tahmina", "Sabina", "Nilufar", "Ishita", "Tanvi",
        ],
        male: &[
            "Rahul", "Amit", "Rajesh", "Suresh", "Ramesh", "Vijay", "Arjun", "Rohan",
            "Sanjay", "Anil", "Manoj", "Deepak", "Ravi", "Krishna", "Ganesh", "Imran",
            "Asif", "Rafiq", "Kamal", "Habib", "Arif", "Tariq", "Bilal", "Sunil", "Prakash",
            "Mahesh", "Dinesh", "Karthik", "Siddharth", "Harish",
        ],
        surnames: &[
            "Sharma", "Verma", "Gupta", "Singh", "Kumar", "Patel", "Shah", "Reddy", "Rao",
            "Nair", "Menon", "Iyer", "Pillai", "Das", "Ghosh", "Chatterjee", "Banerjee",
            "Mukherjee", "Bose", "Sen", "Khan", "Hossain", "Rahman", "Ahmed", "Chowdhury",
            "Islam", "Karki", "Thapa", "Shrestha", "Gurung", "Perera", "Jayasinghe",
        ],
        female_second: &["Devi", "Kumari", "Rani", "Bano", "Begum"],
        male_second: &["Kumar", "Prasad", "Lal", "Chandra", "Nath"],
    },
    Region {
        name: "Southeast Asia",
        female: &[
            "Lan", "Hương", "Hoa", "Mai", "Linh", "Thảo", "Ngọc", "Trang", "Hằng",
            "Phương", "Thủy", "Yến", "Maricel", "Rowena", "Jocelyn", "Rosario", "Lorna",
            "Siriporn", "Nattaya", "Kanya", "Malai", "Siti", "Dewi", "Putri", "Rina",
            "Wulan", "Ayu", "Nurul",
        ],
        male: &[
            "Minh", "Hùng", "Tuấn", "Dũng", "Hải", "Long", "Nam", "Quang", "Sơn", "Thắng",
            "Phúc", "Khánh", "Bảo", "Rodrigo", "Ramon", "Rogelio", "Ernesto", "Somchai",
            "Somsak", "Anan", "Prasert", "Budi", "Agus", "Eko", "Joko", "Bambang", "Rizky",
            "Arief",
        ],
        surnames: &[
            "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Santos", "Reyes", "Bautista",
            "Dela Cruz", "Mendoza", "Villanueva", "Srisuk", "Chaiyaporn", "Wongsawat",
            "Saetang", "Santoso", "Wijaya", "Setiawan", "Hidayat",
        ],
        female_second: &["Thị", "Ngọc", "Thu", "Kim", "Bích"],
        male_second: &["Văn", "Đức", "Minh", "Quốc", "Hữu"],
    },
    Region {
        name: "Latin America",
        female: &[
            "María", "Ana", "Lucía", "Sofía", "Valentina", "Camila", "Isabel", "Carmen",
            "Guadalupe", "Rosa", "Juana", "Marta", "Paola", "Daniela", "Gabriela",
            "Fernanda", "Ximena", "Luz", "Inés", "Beatriz", "Adriana", "Natalia",
            "Verónica", "Mónica", "Yolanda", "Leticia", "Araceli", "Maribel", "Conceição",
            "Luíza",
        ],
        male: &[
            "José", "Juan", "Luis", "Carlos", "Jorge", "Miguel", "Pedro", "Francisco",
            "Jesús", "Alejandro", "Andrés", "Diego", "Fernando", "Ricardo", "Javier", "Raúl",
            "Óscar", "Sebastián", "Mateo", "Santiago", "Tomás", "Héctor", "Rubén", "Ramón",
            "Joaquín", "Efraín", "João", "Sérgio",
        ],
        surnames: &[
            "Peña", "Fernández", "González", "Rodríguez", "Martínez", "López", "Hernández",
            "Pérez", "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz",
            "Cruz", "Morales", "Gutiérrez", "Ortiz", "Chávez", "Ramos", "Vásquez",
            "Castillo", "Jiménez", "Muñoz", "Álvarez", "Romero", "Quispe", "Mamani",
            "Huamán", "Gonçalves", "Araújo",
        ],
        female_second: &[],
        male_second: &[],
    },
    Region {
        name: "Francophone",
        female: &[
            "Zoé", "Hélène", "Chloé", "Léa", "Camille", "Manon", "Élodie", "Céline",
            "Amélie", "Margaux", "Inès", "Agathe", "Océane", "Noémie", "Mathilde",
            "Juliette", "Anaïs", "Éloïse", "Sylvie", "Nathalie", "Brigitte", "Françoise",
            "Geneviève", "Josée", "Marie-Claire", "Anne-Sophie", "Clémence", "Maëlle",
            "Laëtitia",
        ],
        male: &[
            "Jean", "Pierre", "Louis", "Hugo", "Théo", "Lucas", "Mathéo", "Nathan",
            "Étienne", "François", "Benoît", "Jérôme", "Frédéric", "Stéphane", "Sébastien",
            "Guillaume", "Nicolas", "Thierry", "Rémi", "Gaëtan", "Loïc", "Noël",
            "Jean-Baptiste", "Jean-Pierre", "Raphaël", "Joël", "André", "Cédric", "Hervé",
        ],
        surnames: &[
            "Lefèvre", "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
            "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "David",
            "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "Bonnet", "Dupont",
            "Lambert", "Fontaine", "Rousseau", "Mercier", "Gagnon", "Côté", "Bélanger",
            "Pierre-Louis",
        ],
        female_second: &[],
        male_second: &[],
    },
    Region {
        name: "Arabic-speaking",
        female: &[
            "Fatima", "Aisha", "Maryam", "Khadija", "Zainab", "Amal", "Layla", "Noor",
            "Huda", "Salma", "Yasmin", "Rania", "Hana", "Samira", "Nadia", "Mona", "Dalia",
            "Reem", "Lina", "Asma", "Iman", "Sara", "Hiba", "Rasha", "Ghada", "Rawan",
            "Shaima", "Dunya", "Jamila", "Safa",
        ],
        male: &[
            "Mohammed", "Ahmed", "Ali", "Omar", "Hassan", "Hussein", "Khaled", "Youssef",
            "Ibrahim", "Mustafa", "Abdullah", "Mahmoud", "Tariq", "Karim", "Samir", "Walid",
            "Nabil", "Hamza", "Bilal", "Ziad", "Faisal", "Majid", "Rami", "Adel", "Saeed",
            "Jamal", "Anas", "Amr", "Osama", "Tamer",
        ],
        surnames: &[
            "Al-Hassan", "Al-Rashid", "Al-Sayed", "Haddad", "Khoury", "Nasser", "Mansour",
            "Hamdan", "Saleh", "Aziz", "Farouk", "Abdel-Rahman", "El-Masri", "Al-Amin",
            "Qasim", "Al-Khatib", "Bakr", "Daoud", "Suleiman", "Jaber", "Hijazi", "Othman",
            "Yassin", "El-Sharif", "Ben Youssef", "Belkacem", "Abbas", "Issa", "Ghanem",
            "Taha",
        ],
        female_second: &[],
        male_second: &[],
    },
    Region {
        name: "Eastern Europe",
        female: &[
            "Katarzyna", "Małgorzata", "Agnieszka", "Zofia", "Joanna", "Magdalena", "Ewa",
            "Krystyna", "Jadwiga", "Elżbieta", "Halina", "Bożena", "Tereza", "Lenka",
            "Petra", "Markéta", "Kateřina", "Zuzana", "Olena", "Oksana", "Iryna", "Tetiana",
            "Svitlana", "Ioana", "Andreea", "Mihaela", "Ivana", "Jelena", "Snežana",
            "Dragana",
        ],
        male: &[
            "Łukasz", "Piotr", "Krzysztof", "Tomasz", "Paweł", "Michał", "Marcin", "Jakub",
            "Wojciech", "Grzegorz", "Stanisław", "Andrzej", "Jiří", "Petr", "Tomáš",
            "Václav", "Lukáš", "Ondřej", "Oleksandr", "Andriy", "Dmytro", "Serhiy", "Mykola",
            "Ion", "Mihai", "Bogdan", "Nikola", "Miloš", "Dušan", "Zoran",
        ],
        surnames: &[
            "Dvořák", "Novák", "Svoboda", "Novotný", "Černý", "Procházka", "Kučera",
            "Veselý", "Horák", "Nowak", "Wójcik", "Kowalczyk", "Woźniak", "Mazur",
            "Krawczyk", "Shevchenko", "Bondarenko", "Kovalenko", "Tkachenko", "Melnyk",
            "Boyko", "Popescu", "Ionescu", "Popa", "Dumitru", "Jovanović", "Petrović",
            "Nikolić", "Marković", "Đorđević",
        ],
        female_second: &[],
        male_second: &[],
    },
];
