"""The IVR's default wording (the seed's Hungarian text, and English), loaded into ``IvrPrompt``
rows by a data migration; the rows are what the IVR speaks and the admin edits."""

DEFAULT_PROMPTS: dict[str, tuple[str, str]] = {
    "closed": (
        "Kedves Partnerünk! Köszönjük hívását. A Groupama Biztosító alkuszi telefonos "
        "információs szolgálata jelenleg zárva van. Munkaidőnk: {hours}. Kérjük, "
        "hívjon ismét munkaidőben. Viszonthallásra!",
        "Dear Partner, thank you for calling. The Groupama Biztosító broker information line is "
        "closed now. Our hours: {hours}. Please call again during our opening hours. Goodbye!",
    ),
    "welcome": (
        "Kedves Partnerünk! Üdvözöljük a Groupama Biztosító alkuszi telefonos "
        "információs szolgálatának központjában. Tájékoztatjuk, hogy munkatársunkkal folytatott "
        "beszélgetése adatvédelmi okokból rögzítésre kerül. Kérjük, hogy az azonosítás érdekében "
        "készítse elő kilencjegyű GRID, illetve négyjegyű Direkt kódját. Felhívjuk szíves "
        "figyelmét, hogy a biztosítási szerződések adatainak kiadásához ügyfél-azonosítást "
        "végzünk. A készülék nyomógombjainak segítségével az alábbi menüpontok közül választhat. "
        "Meglévő szerződéssel kapcsolatos információk lekérdezése, igazolások kérése: 1-es gomb. "
        "Kárrendezéssel kapcsolatos információk, telefonos kárbejelentés: 2-es gomb. "
        "Direkt kód módosítása: 3-as gomb.",
        "Dear Partner, welcome to the broker information line of Groupama Biztosító. "
        "Please note that your conversation with our colleague is recorded for data protection. "
        "To identify yourself, please have your nine-digit GRID and four-digit Direkt code ready. "
        "Contract data is only released after client identification. Choose from the menu with "
        "your phone's keys. Information on an existing contract, certificates: press 1. "
        "Claims information and claim reporting by phone: press 2. "
        "Changing the Direkt code: press 3.",
    ),
    "menu_again": (
        "Érvénytelen választás. Meglévő szerződéssel kapcsolatos információk, igazolások: "
        "1-es gomb. Kárrendezéssel kapcsolatos információk, kárbejelentés: 2-es gomb. "
        "Direkt kód módosítása: 3-as gomb.",
        "Invalid choice. Existing contracts and certificates: press 1. Claims and claim "
        "reporting: press 2. Changing the Direkt code: press 3.",
    ),
    "no_choice_goodbye": (
        "Nem választott menüpontot. Köszönjük hívását, viszonthallásra!",
        "You did not choose from the menu. Thank you for calling, goodbye!",
    ),
    "ask_grid": (
        "Kérjük, hogy készüléke billentyűinek segítségével adja meg a partnercég GRID-kódját.",
        "Please enter the broker firm's GRID with your phone's keys.",
    ),
    "ask_code": (
        "Ezt követően kérjük, adja meg négyjegyű Direkt kódját.",
        "Now please enter your four-digit Direkt code.",
    ),
    "ask_manager_code": (
        "Ezt követően kérjük, adja meg a négyjegyű vezetői Direkt kódot.",
        "Now please enter the firm manager's four-digit Direkt code.",
    ),
    "verified": (
        "Az azonosítás sikeresen megtörtént, munkatársunk rövidesen jelentkezik.",
        "Identification succeeded, a colleague will answer shortly.",
    ),
    "retry": (
        "A megadott azonosító nem szerepel a nyilvántartásunkban, kérjük, adja meg újra az "
        "azonosítóit.",
        "The identifier you entered is not in our records, please enter your identifier again.",
    ),
    "failed": (
        "Nem létező azonosító. A sikeres azonosítás érdekében kérjük, ellenőrizze a megadott "
        "kódokat; ha ez nem segít, kérjük, forduljon segítségért a kapcsolattartó "
        "referens kollégánkhoz. Köszönjük hívását.",
        "Non-existent identifier. Please check the codes you entered; if that does not help, "
        "please ask your contact referent for help. Thank you for calling.",
    ),
    "menu3_failed": (
        "Nem létező azonosító. A Direkt kód módosítása csak vezetői jogosultsággal lehetséges. "
        "Kérjük, a 3-as menüt ne használja. Amennyiben azonosítási problémája akad, forduljon "
        "segítségért az alkuszcég vezetőjéhez. Köszönjük hívását.",
        "Non-existent identifier. Only a manager may change the Direkt code. Please do not use "
        "menu 3. If you have trouble identifying yourself, please ask the leader of your firm "
        "for help. Thank you for calling.",
    ),
    "waiting": (
        "Kérjük, tartsa a vonalat, munkatársunk hamarosan jelentkezik.",
        "Please hold the line, a colleague will answer soon.",
    ),
    "ask_new_code": (
        "Kérjük, adja meg a munkatársak új, négyjegyű Direkt kódját.",
        "Please enter the new four-digit Direkt code for your colleagues.",
    ),
    "ask_new_code_again": (
        "Megerősítésként kérjük, adja meg újra az új Direkt kódot.",
        "To confirm, please enter the new Direkt code again.",
    ),
    "new_code_mismatch": (
        "A két megadott kód nem egyezik.",
        "The two codes you entered differ.",
    ),
    "new_code_format": (
        "Az új Direkt kód pontosan négy számjegyből áll.",
        "The new Direkt code is exactly four digits.",
    ),
    "new_code_trivial": (
        "Ez a kód túl könnyen kitalálható: ismétlődő számjegyek, számsor vagy évszám. "
        "Kérjük, válasszon másikat.",
        "This code is too easy to guess: repeated digits, a sequence or a year. "
        "Please choose another one.",
    ),
    "new_code_reused": (
        "Ezt a kódot nemrég használták. Kérjük, válasszon olyat, amely eltér az utolsó öt kódtól.",
        "This code was used recently. Please choose one that differs from the last five.",
    ),
    "new_code_same_as_other": (
        "A munkatársi kód nem egyezhet meg a vezetői kóddal.",
        "The staff code must differ from the manager code.",
    ),
    "new_code_give_up": (
        "A Direkt kód nem változott. Kérjük, próbálja újra később, vagy módosítsa a kódot a "
        "partnerportálon. Köszönjük hívását.",
        "The Direkt code has not changed. Please try again later or change it in the partner "
        "portal. Thank you for calling.",
    ),
    "code_changed": (
        "A munkatársak Direkt kódja megváltozott. Az alkuszcég vezetőit e-mailben értesítjük. "
        "Köszönjük hívását, viszonthallásra!",
        "Your colleagues' Direkt code has been changed. We are informing the firm's managers by "
        "e-mail. Thank you for calling, goodbye!",
    ),
    "callback_notice": (
        "Kedves Partnerünk! A Groupama Biztosító alkuszi telefonos információs szolgálatától "
        "hívjuk vissza, ahogy ígértük. Tájékoztatjuk, hogy a beszélgetés adatvédelmi okokból "
        "rögzítésre kerül. Kollégánkat most kapcsoljuk.",
        "Dear Partner, this is the broker information line of Groupama Biztosító calling you "
        "back, as promised. Please note that this conversation is recorded for data "
        "protection. We are putting you through to our colleague now.",
    ),
}
