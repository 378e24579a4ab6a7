"""Words the synthetic applicants use: Iraqi given and family names (English spelling beside the
Arabic), and per sector the businesses' names, what they buy and what they plan, in both
languages. Arabic-script given names also come from Faker's Arabic locale (`demo.data`)."""

from __future__ import annotations

from dataclasses import dataclass

# (English, Arabic)
Pair = tuple[str, str]

GIVEN_FEMALE: tuple[Pair, ...] = (
    ("Layla", "ليلى"),
    ("Fatima", "فاطمة"),
    ("Zainab", "زينب"),
    ("Noor", "نور"),
    ("Maryam", "مريم"),
    ("Sara", "سارة"),
    ("Huda", "هدى"),
    ("Rana", "رنا"),
    ("Amal", "أمل"),
    ("Asmaa", "أسماء"),
    ("Shaimaa", "شيماء"),
    ("Hanan", "حنان"),
    ("Iman", "إيمان"),
    ("Rasha", "رشا"),
    ("Duaa", "دعاء"),
    ("Ruqaya", "رقية"),
    ("Wafaa", "وفاء"),
    ("Suha", "سهى"),
    ("Nadia", "نادية"),
    ("Khawla", "خولة"),
    ("Samira", "سميرة"),
    ("Basma", "بسمة"),
    ("Ghufran", "غفران"),
    ("Zahraa", "زهراء"),
    ("Aya", "آية"),
    ("Nisreen", "نسرين"),
    ("Hadeel", "هديل"),
    ("Shireen", "شيرين"),
    ("Vian", "فيان"),
    ("Jihan", "جيهان"),
    ("Rita", "ريتا"),
    ("Nahrain", "نهرين"),
)
GIVEN_MALE: tuple[Pair, ...] = (
    ("Omar", "عمر"),
    ("Ahmed", "أحمد"),
    ("Mohammed", "محمد"),
    ("Ali", "علي"),
    ("Hussein", "حسين"),
    ("Hassan", "حسن"),
    ("Mustafa", "مصطفى"),
    ("Yousif", "يوسف"),
    ("Ibrahim", "إبراهيم"),
    ("Khalid", "خالد"),
    ("Saif", "سيف"),
    ("Haider", "حيدر"),
    ("Abbas", "عباس"),
    ("Karim", "كريم"),
    ("Salem", "سالم"),
    ("Ammar", "عمار"),
    ("Bilal", "بلال"),
    ("Firas", "فراس"),
    ("Laith", "ليث"),
    ("Muthanna", "مثنى"),
    ("Qusay", "قصي"),
    ("Raed", "رائد"),
    ("Sabah", "صباح"),
    ("Tariq", "طارق"),
    ("Waleed", "وليد"),
    ("Yasir", "ياسر"),
    ("Zaid", "زيد"),
    ("Adnan", "عدنان"),
    ("Majid", "ماجد"),
    ("Dilshad", "دلشاد"),
    ("Khidir", "خضر"),
    ("Faris", "فارس"),
)
FAMILY: tuple[Pair, ...] = (
    ("Al-Jubouri", "الجبوري"),
    ("Al-Obaidi", "العبيدي"),
    ("Al-Dulaimi", "الدليمي"),
    ("Al-Tai", "الطائي"),
    ("Al-Hamdani", "الحمداني"),
    ("Al-Shammari", "الشمري"),
    ("Al-Zubaidi", "الزبيدي"),
    ("Al-Tamimi", "التميمي"),
    ("Al-Khafaji", "الخفاجي"),
    ("Al-Rubaie", "الربيعي"),
    ("Al-Saadi", "السعدي"),
    ("Al-Janabi", "الجنابي"),
    ("Al-Azzawi", "العزاوي"),
    ("Al-Mousawi", "الموسوي"),
    ("Al-Hashimi", "الهاشمي"),
    ("Al-Ani", "العاني"),
    ("Al-Hadithi", "الحديثي"),
    ("Al-Kubaisi", "الكبيسي"),
    ("Al-Bayati", "البياتي"),
    ("Al-Sabawi", "السبعاوي"),
    ("Al-Mosuli", "الموصلي"),
    ("Al-Nuaimi", "النعيمي"),
    ("Al-Lahibi", "اللهيبي"),
    ("Al-Sinjari", "السنجاري"),
    ("Al-Badri", "البدري"),
    ("Al-Qaisi", "القيسي"),
    ("Khalaf", "خلف"),
    ("Murad", "مراد"),
    ("Haji", "حجي"),
    ("Shammo", "شمو"),
    ("Toma", "توما"),
    ("Matti", "متي"),
    ("Kasim", "قاسم"),
    ("Salih", "صالح"),
)


@dataclass(frozen=True)
class Item:
    """Something a plan buys: its name, and a plausible unit cost (USD) and quantity."""

    en: str
    ar: str
    low: int
    high: int
    max_quantity: int = 1


@dataclass(frozen=True)
class Sector:
    key: str
    businesses: tuple[Pair, ...]  # templates: {family} and {district} in the matching language
    items: tuple[Item, ...]
    goals: tuple[Pair, ...]  # what the grant is for, completing "… to {goal}"


SECTORS: dict[str, Sector] = {
    s.key: s
    for s in (
        Sector(
            "agriculture",
            (
                ("{family} Dairy Farm", "مزرعة {family} للألبان"),
                ("{district} Greenhouses", "بيوت {district} البلاستيكية"),
                ("{family} Poultry", "دواجن {family}"),
                ("{family} Orchards", "بساتين {family}"),
            ),
            (
                Item("Drip irrigation kit", "منظومة ري بالتنقيط", 1500, 6000),
                Item("Milk cooler", "مبرّدة حليب", 4000, 12000),
                Item("Greenhouse cover", "غطاء بيت بلاستيكي", 600, 1800, 6),
                Item("Solar water pump", "مضخة ماء شمسية", 2500, 7000),
                Item("Seeds and fertiliser", "بذور وأسمدة", 200, 900, 10),
                Item("Laying hens", "دجاج بيّاض", 8, 15, 500),
            ),
            (
                ("restore the irrigated land lost in 2014", "استعادة الأرض المروية التي فُقدت عام 2014"),
                ("sell milk to the Mosul dairies all year", "بيع الحليب لمعامل الألبان طوال العام"),
                ("grow vegetables in winter", "زراعة الخضروات في الشتاء"),
            ),
        ),
        Sector(
            "food_processing",
            (
                ("{family} Bakery", "مخبز {family}"),
                ("{district} Pickles and Jams", "مخللات ومربيات {district}"),
                ("{family} Date Packing", "تعبئة تمور {family}"),
            ),
            (
                Item("Industrial oven", "فرن صناعي", 5000, 14000),
                Item("Dough mixer", "عجانة", 1200, 3500),
                Item("Packing machine", "ماكنة تعبئة", 3000, 9000),
                Item("Cold room panels", "ألواح غرفة تبريد", 400, 1200, 8),
                Item("Stainless steel tables", "طاولات ستانلس ستيل", 150, 450, 6),
            ),
            (
                ("supply bread to three more neighbourhoods", "تزويد ثلاثة أحياء أخرى بالخبز"),
                ("pack dates for the Baghdad market", "تعبئة التمور لسوق بغداد"),
                ("double the daily output", "مضاعفة الإنتاج اليومي"),
            ),
        ),
        Sector(
            "manufacturing",
            (
                ("{family} Tailoring Workshop", "معمل خياطة {family}"),
                ("{district} Furniture", "أثاث {district}"),
                ("{family} Metal Works", "حدادة {family}"),
                ("{family} Concrete Blocks", "معمل بلوك {family}"),
            ),
            (
                Item("Industrial sewing machine", "ماكنة خياطة صناعية", 400, 1200, 12),
                Item("Welding set", "جهاز لحام", 700, 2500, 3),
                Item("CNC wood router", "راوتر خشب CNC", 6000, 15000),
                Item("Block-making machine", "ماكنة صب البلوك", 5000, 13000),
                Item("Generator 30 kVA", "مولدة 30 كي في أي", 4000, 9000),
                Item("Raw materials", "مواد أولية", 500, 3000, 4),
            ),
            (
                ("make school uniforms for the district", "خياطة الزي المدرسي لمدارس القضاء"),
                ("rebuild houses with local blocks", "إعادة إعمار البيوت ببلوك محلي"),
                ("take orders from the reconstruction contractors", "تلبية طلبات مقاولي إعادة الإعمار"),
            ),
        ),
        Sector(
            "construction",
            (
                ("{family} Building Contractors", "{family} للمقاولات الإنشائية"),
                ("{district} Plastering", "لياسة {district}"),
            ),
            (
                Item("Concrete mixer", "خلاطة كونكريت", 2500, 6000),
                Item("Scaffolding set", "سقالات", 150, 400, 20),
                Item("Power tools", "عدد كهربائية", 300, 1200, 5),
                Item("Pickup truck (used)", "سيارة حمل مستعملة", 8000, 16000),
            ),
            (
                ("rehabilitate damaged houses", "ترميم البيوت المتضررة"),
                ("work on the municipal school rebuilding", "العمل في إعادة بناء المدارس"),
            ),
        ),
        Sector(
            "services",
            (
                ("{family} Mobile Repair", "صيانة موبايل {family}"),
                ("{district} Beauty Salon", "صالون تجميل {district}"),
                ("{family} Car Workshop", "ورشة سيارات {family}"),
                ("{district} Internet Cafe", "مقهى إنترنت {district}"),
            ),
            (
                Item("Diagnostic equipment", "أجهزة فحص", 1500, 6000),
                Item("Salon chairs", "كراسي صالون", 250, 700, 6),
                Item("Car lift", "رافعة سيارات", 3000, 7000),
                Item("Computers", "حاسبات", 450, 900, 10),
                Item("Shop refurbishment", "تأهيل المحل", 1000, 5000),
            ),
            (
                ("serve customers who now travel to Mosul for repairs", "خدمة زبائن يسافرون الآن إلى الموصل للتصليح"),
                ("train young people from the neighbourhood", "تدريب شباب المنطقة"),
                ("open a second branch", "فتح فرع ثانٍ"),
            ),
        ),
        Sector(
            "retail",  # not in the demo call: its applicants are found ineligible
            (("{family} Grocery", "أسواق {family}"), ("{district} Clothes Shop", "ملابس {district}")),
            (Item("Shelving", "رفوف", 100, 300, 10), Item("Stock", "بضاعة", 1000, 8000, 2)),
            (("stock more goods", "زيادة البضاعة"),),
        ),
    )
}

CALL_SECTORS = ("agriculture", "food_processing", "manufacturing", "construction", "services")
WALLET_PROVIDERS = ("Zain Cash", "AsiaHawala", "FastPay")
BANKS = (
    ("RAFB", "Rafidain Bank"),
    ("RSHD", "Rasheed Bank"),
    ("TBIQ", "Trade Bank of Iraq"),
    ("NBIQ", "National Bank of Iraq"),
    ("BBAG", "Bank of Baghdad"),
)
