"""Give the IVR prompts that still hold the old default wording the corrected one: the
insurer's current name, "Direkt kód" and "GRID-kód" as everywhere else, the commas after
"kérjük". A prompt edited in the admin is left as it is."""

from django.db import migrations

# The defaults as 0002 loaded them, for the prompts whose wording changed.
OLD = {
    "ask_code": (
        "Ezt követően kérjük, adja meg négyjegyű Direkt azonosítóját.",
        "Now please enter your four-digit Direkt code.",
    ),
    "ask_grid": (
        "Kérjük, hogy készüléke billentyűinek segítségével adja meg az alkuszcég GRID kódját.",
        "Please enter the broker firm's GRID with your phone's keys.",
    ),
    "ask_manager_code": (
        "Ezt követően kérjük, adja meg a cégvezetői négyjegyű Direkt azonosítót.",
        "Now please enter the firm manager's four-digit Direkt code.",
    ),
    "closed": (
        "Kedves Partnerünk! Köszönjük hívását. A Groupama Garancia Biztosító alkuszi "
        "telefonos információs szolgálata jelenleg zárva tart. Ügyfélfogadási időnk: "
        "{hours}. Kérjük, hívjon vissza munkaidőben. Viszonthallásra!",
        "Dear Partner, thank you for calling. The Groupama Garancia broker information "
        "line is closed now. Our hours: {hours}. Please call again during our opening "
        "hours. Goodbye!",
    ),
    "failed": (
        "Nem létező azonosító. A sikeres azonosítás érdekében kérjük ellenőrizze a "
        "megadott kódokat, ennek sikertelensége esetén kérjük forduljon segítségért a "
        "kapcsolattartó referens kollégánkhoz. Köszönjük hívását.",
        "Non-existent identifier. Please check the codes you entered; if that does not "
        "help, please ask your contact referent for help. Thank you for calling.",
    ),
    "new_code_give_up": (
        "A Direkt kód nem változott. Kérjük, próbálja meg később, vagy módosítsa "
        "a kódot a partnerportálon. Köszönjük hívását.",
        "The Direkt code has not changed. Please try again later or change it in "
        "the partner portal. Thank you for calling.",
    ),
    "retry": (
        "A megadott azonosító nem szerepel a nyilvántartásunkban, kérjük adja meg újra az "
        "azonosítókódját.",
        "The identifier you entered is not in our records, please enter your identifier again.",
    ),
    "welcome": (
        "Kedves Partnerünk! Üdvözöljük a Groupama Garancia Biztosító alkuszi telefonos "
        "információs szolgálatának központjában. Tájékoztatjuk, hogy munkatársunkkal "
        "folytatott beszélgetése adatvédelmi okokból rögzítésre kerül. Kérjük, hogy az "
        "azonosítás érdekében készítse elő kilencjegyű GRID, illetve négyjegyű Direkt "
        "kódját. Felhívjuk szíves figyelmét, hogy a biztosítási szerződések adatainak "
        "kiadásához ügyfél-azonosítást végzünk. A készülék nyomógombjainak segítségével "
        "az alábbi menüpontok közül választhat. Meglévő szerződéssel kapcsolatos "
        "információk lekérdezése, igazolások kérése: 1-es gomb. Kárrendezéssel "
        "kapcsolatos információk, telefonos kárbejelentés: 2-es gomb. Direkt kód "
        "módosítása: 3-as gomb.",
        "Dear Partner, welcome to the broker information line of Groupama Garancia "
        "Insurance. Please note that your conversation with our colleague is recorded for "
        "data protection. To identify yourself, please have your nine-digit GRID and "
        "four-digit Direkt code ready. Contract data is only released after client "
        "identification. Choose from the menu with your phone's keys. Information on an "
        "existing contract, certificates: press 1. Claims information and claim reporting "
        "by phone: press 2. Changing the Direkt code: press 3.",
    ),
}


def reword(apps, schema_editor):
    from calls.ivr.prompts import DEFAULT_PROMPTS

    IvrPrompt = apps.get_model("calls", "IvrPrompt")
    for key, (hu, en) in OLD.items():
        new_hu, new_en = DEFAULT_PROMPTS[key]
        IvrPrompt.objects.filter(key=key, text_hu=hu).update(text_hu=new_hu)
        IvrPrompt.objects.filter(key=key, text_en=en).update(text_en=new_en)


class Migration(migrations.Migration):
    dependencies = [("calls", "0006_telephony_call_source")]

    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
