/* The built-in templates. Each was written to read as a native speaker's
 * short service message, not as a translation of the English one: the same
 * four facts (whose code, the code, never share it, when it expires), each
 * language's usual words and punctuation for them.
 *
 * The code is always ASCII digits. The unit tests render every form of every
 * language with a 10-digit code and a 12-character app name and check the
 * one-segment promises documented in builtin.h. */
#include "msg/builtin.h"

#include <string.h>

/* One line per string, however long, so each reads (and greps) whole. */
/* clang-format off */
static const struct msg_builtin builtins[] = {
	{
		"en",
		{
			"Your {app} code: {code}. Don't share this code with anyone. It expires in {minutes|one:# minute|other:# minutes}.",
			"{app} code: {code}. Don't share it. Expires in {minutes} min.",
			"Your code: {code}. Don't share it.",
			"Don't share this code with anyone.",
		},
		"Your {app} code is: {code}. Again: {code}. Don't share this code with anyone. It expires in {minutes|one:# minute|other:# minutes}.",
	},
	{
		"zh-Hans",
		{
			"您的{app}验证码：{code}。请勿告诉他人，{minutes}分钟内有效。",
			"{app}验证码：{code}。请勿告诉他人，{minutes}分钟内有效。",
			"验证码：{code}，请勿告诉他人。",
			"请勿将验证码告诉他人。",
		},
		"您的{app}验证码是：{code}。再说一遍：{code}。请勿将验证码告诉他人。验证码{minutes}分钟内有效。",
	},
	{
		"zh-Hant",
		{
			"您的{app}驗證碼：{code}。請勿告訴他人，{minutes}分鐘內有效。",
			"{app}驗證碼：{code}。請勿告訴他人，{minutes}分鐘內有效。",
			"驗證碼：{code}，請勿告訴他人。",
			"請勿將驗證碼告訴他人。",
		},
		"您的{app}驗證碼是：{code}。再說一次：{code}。請勿將驗證碼告訴他人。驗證碼{minutes}分鐘內有效。",
	},
	{
		/* The danda (।) ends sentences, as Hindi service SMS write them. */
		"hi",
		{
			"आपका {app} कोड: {code}। इसे किसी से साझा न करें। {minutes} मिनट तक मान्य।",
			"{app} कोड: {code}। किसी से साझा न करें। {minutes} मिनट तक मान्य।",
			"कोड: {code}। किसी से साझा न करें।",
			"यह कोड किसी से साझा न करें।",
		},
		"आपका {app} कोड है: {code}। फिर से: {code}। यह कोड किसी से साझा न करें। यह {minutes} मिनट तक मान्य है।",
	},
	{
		/* "Clave" (as banks say "clave SMS") keeps the message in GSM-7 where
		 * "código" would force UCS-2 for its one accent; voice has no such limit. */
		"es",
		{
			"Tu clave de {app}: {code}. No la compartas con nadie. Expira en {minutes|one:# minuto|other:# minutos}.",
			"Clave de {app}: {code}. No la compartas. Expira en {minutes} min.",
			"Tu clave: {code}. No la compartas con nadie.",
			"No compartas esta clave con nadie.",
		},
		"Tu código de {app} es: {code}. Repito: {code}. No compartas este código con nadie. Expira en {minutes|one:# minuto|other:# minutos}.",
	},
	{
		/* Plural forms of "minute" after لمدة (genitive): one, two, 3-10, then singular. */
		"ar",
		{
			"رمز {app}: {code}. لا تشاركه مع أحد. صالح لمدة {minutes|one:دقيقة واحدة|two:دقيقتين|few:# دقائق|other:# دقيقة}.",
			"رمز {app}: {code}. لا تشاركه. صالح لمدة {minutes|one:دقيقة واحدة|two:دقيقتين|few:# دقائق|other:# دقيقة}.",
			"الرمز: {code}. لا تشاركه مع أحد.",
			"لا تشارك هذا الرمز مع أحد.",
		},
		"رمز {app} الخاص بك هو: {code}. أكرر: {code}. لا تشارك هذا الرمز مع أحد. الرمز صالح لمدة {minutes|one:دقيقة واحدة|two:دقيقتين|few:# دقائق|other:# دقيقة}.",
	},
	{
		"bn",
		{
			"আপনার {app} কোড: {code}। কাউকে জানাবেন না। মেয়াদ {minutes} মিনিট।",
			"{app} কোড: {code}। কাউকে জানাবেন না। মেয়াদ {minutes} মিনিট।",
			"কোড: {code}। কাউকে জানাবেন না।",
			"এই কোড কাউকে জানাবেন না।",
		},
		"আপনার {app} কোড হলো: {code}। আবার বলছি: {code}। এই কোড কাউকে জানাবেন না। কোডটি {minutes} মিনিট পর্যন্ত বৈধ।",
	},
	{
		/* Brazilian Portuguese, the variety of most speakers. */
		"pt",
		{
			"Código {app}: {code}. Não compartilhe com ninguém. Expira em {minutes} min.",
			"Código {app}: {code}. Não compartilhe. Expira em {minutes} min.",
			"Código: {code}. Não compartilhe.",
			"Não compartilhe este código.",
		},
		"Seu código {app} é: {code}. Repetindo: {code}. Não compartilhe este código com ninguém. Ele expira em {minutes|one:# minuto|other:# minutos}.",
	},
	{
		/* "мин." is the usual SMS abbreviation and does not decline with the number. */
		"ru",
		{
			"Ваш код {app}: {code}. Никому его не сообщайте. Действует {minutes} мин.",
			"Код {app}: {code}. Никому не сообщайте. Действует {minutes} мин.",
			"Код: {code}. Никому не сообщайте.",
			"Никому не сообщайте этот код.",
		},
		"Ваш код {app}: {code}. Повторяю: {code}. Никому не сообщайте этот код. Он действует {minutes|one:# минуту|few:# минуты|many:# минут|other:# минуты}.",
	},
	{
		"ja",
		{
			"{app}の認証コード：{code}。このコードを他人に教えないでください。有効期限は{minutes}分です。",
			"{app}の認証コード：{code}。他人に教えないでください。{minutes}分間有効。",
			"認証コード：{code}。他人に教えないでください。",
			"このコードを他人に教えないでください。",
		},
		"{app}の認証コードは、{code}です。もう一度言います。{code}。このコードを他人に教えないでください。有効期限は{minutes}分です。",
	},
	{
		"id",
		{
			"Kode {app} Anda: {code}. Jangan berikan kode ini kepada siapa pun. Berlaku {minutes} menit.",
			"Kode {app}: {code}. Jangan berikan ke siapa pun. Berlaku {minutes} menit.",
			"Kode Anda: {code}. Jangan berikan ke siapa pun.",
			"Jangan berikan kode ini kepada siapa pun.",
		},
		"Kode {app} Anda adalah: {code}. Sekali lagi: {code}. Jangan berikan kode ini kepada siapa pun. Kode berlaku {minutes} menit.",
	},
	{
		/* Urdu letters (ک U+06A9, ی U+06CC, ہ U+06C1), not their Arabic
		 * look-alikes; ۔ ends sentences. */
		"ur",
		{
			"آپ کا {app} کوڈ: {code}۔ کسی کو نہ بتائیں۔ {minutes} منٹ تک کارآمد۔",
			"{app} کوڈ: {code}۔ کسی کو نہ بتائیں۔ {minutes} منٹ کارآمد۔",
			"کوڈ: {code}۔ کسی کو نہ بتائیں۔",
			"یہ کوڈ کسی کو نہ بتائیں۔",
		},
		"آپ کا {app} کوڈ ہے: {code}۔ دوبارہ: {code}۔ یہ کوڈ کسی کو نہ بتائیں۔ یہ کوڈ {minutes} منٹ تک کارآمد ہے۔",
	},
	{
		/* A plain space before the colon: the narrow no-break space of French
		 * typography is not in GSM-7. */
		"fr",
		{
			"Votre code {app} : {code}. Ne le communiquez à personne. Il expire dans {minutes|one:# minute|other:# minutes}.",
			"Code {app} : {code}. Ne le communiquez à personne. Expire dans {minutes} min.",
			"Votre code : {code}. Ne le communiquez à personne.",
			"Ne communiquez ce code à personne.",
		},
		"Votre code {app} est : {code}. Je répète : {code}. Ne le communiquez à personne. Il expire dans {minutes|one:# minute|other:# minutes}.",
	},
	{
		/* "Sie": the safe default for a service that does not know its audience. */
		"de",
		{
			"Ihr Code für {app}: {code}. Geben Sie ihn an niemanden weiter. Er ist {minutes|one:# Minute|other:# Minuten} gültig.",
			"Code für {app}: {code}. Nicht weitergeben. Gültig für {minutes} Min.",
			"Ihr Code: {code}. Geben Sie ihn an niemanden weiter.",
			"Geben Sie diesen Code an niemanden weiter.",
		},
		"Ihr Code für {app} lautet: {code}. Noch einmal: {code}. Geben Sie ihn an niemanden weiter. Er ist {minutes|one:# Minute|other:# Minuten} gültig.",
	},
	{
		"vi",
		{
			"Mã {app}: {code}. Không chia sẻ mã này với ai. Hiệu lực {minutes} phút.",
			"Mã {app}: {code}. Không chia sẻ với ai. Hiệu lực {minutes} phút.",
			"Mã: {code}. Không chia sẻ với ai.",
			"Không chia sẻ mã này với ai.",
		},
		"Mã {app} của bạn là: {code}. Nhắc lại: {code}. Không chia sẻ mã này với ai. Mã có hiệu lực trong {minutes} phút.",
	},
	{
		"tr",
		{
			"{app} kodunuz: {code}. Kimseyle paylaşmayın. {minutes} dakika geçerlidir.",
			"{app} kodu: {code}. Kimseyle paylaşmayın. {minutes} dk geçerli.",
			"Kodunuz: {code}. Kimseyle paylaşmayın.",
			"Bu kodu kimseyle paylaşmayın.",
		},
		"{app} kodunuz: {code}. Tekrar ediyorum: {code}. Bu kodu kimseyle paylaşmayın. Kod {minutes} dakika geçerlidir.",
	},
	{
		"ko",
		{
			"[{app}] 인증번호: {code}. 타인에게 절대 알려주지 마세요. {minutes}분간 유효합니다.",
			"[{app}] 인증번호: {code}. 타인에게 알려주지 마세요. {minutes}분간 유효.",
			"인증번호: {code}. 타인에게 알려주지 마세요.",
			"인증번호를 타인에게 알려주지 마세요.",
		},
		"{app} 인증번호는 {code} 입니다. 다시 한번 알려드립니다. {code}. 인증번호를 타인에게 알려주지 마세요. {minutes}분간 유효합니다.",
	},
	{
		/* Persian letters (ک U+06A9, ی U+06CC), not their Arabic look-alikes. */
		"fa",
		{
			"کد {app} شما: {code}. آن را به کسی ندهید. {minutes} دقیقه اعتبار دارد.",
			"کد {app}: {code}. به کسی ندهید. {minutes} دقیقه اعتبار دارد.",
			"کد: {code}. آن را به کسی ندهید.",
			"این کد را به کسی ندهید.",
		},
		"کد {app} شما: {code}. تکرار می\u200cکنم: {code}. این کد را به کسی ندهید. این کد {minutes} دقیقه اعتبار دارد.",
	},
	{
		"it",
		{
			"Il tuo codice {app}: {code}. Non condividerlo con nessuno. Scade tra {minutes|one:# minuto|other:# minuti}.",
			"Codice {app}: {code}. Non condividerlo con nessuno. Scade tra {minutes} min.",
			"Il tuo codice: {code}. Non condividerlo con nessuno.",
			"Non condividere questo codice con nessuno.",
		},
		"Il tuo codice {app} è: {code}. Ripeto: {code}. Non condividerlo con nessuno. Scade tra {minutes|one:# minuto|other:# minuti}.",
	},
	{
		/* Thai separates phrases with spaces and has no sentence punctuation. */
		"th",
		{
			"รหัส {app} ของคุณคือ {code} อย่าบอกรหัสนี้กับใคร ใช้ภายใน {minutes} นาที",
			"รหัส {app}: {code} อย่าบอกใคร ใช้ภายใน {minutes} นาที",
			"รหัส {code} อย่าบอกใคร",
			"อย่าบอกรหัสนี้กับใคร",
		},
		"รหัส {app} ของคุณคือ {code} ขอทวนอีกครั้ง {code} อย่าบอกรหัสนี้กับใคร รหัสนี้ใช้ได้ภายใน {minutes} นาที",
	},
	{
		"sw",
		{
			"Msimbo wako wa {app}: {code}. Usimpe mtu yeyote msimbo huu. Utaisha muda baada ya dakika {minutes}.",
			"Msimbo wa {app}: {code}. Usimpe mtu yeyote. Utaisha muda baada ya dakika {minutes}.",
			"Msimbo wako: {code}. Usimpe mtu yeyote.",
			"Usimpe mtu yeyote msimbo huu.",
		},
		"Msimbo wako wa {app} ni: {code}. Narudia: {code}. Usimpe mtu yeyote msimbo huu. Utaisha muda baada ya dakika {minutes}.",
	},
	{
		"ms",
		{
			"Kod {app} anda: {code}. Jangan kongsi kod ini dengan sesiapa. Sah selama {minutes} minit.",
			"Kod {app}: {code}. Jangan kongsi dengan sesiapa. Sah {minutes} minit.",
			"Kod anda: {code}. Jangan kongsi dengan sesiapa.",
			"Jangan kongsi kod ini dengan sesiapa.",
		},
		"Kod {app} anda ialah: {code}. Sekali lagi: {code}. Jangan kongsi kod ini dengan sesiapa. Kod ini sah selama {minutes} minit.",
	},
	{
		/* "хв" is the usual abbreviation and does not decline with the number. */
		"uk",
		{
			"Ваш код {app}: {code}. Нікому його не повідомляйте. Дійсний {minutes} хв.",
			"Код {app}: {code}. Нікому не повідомляйте. Дійсний {minutes} хв.",
			"Код: {code}. Нікому не повідомляйте.",
			"Нікому не повідомляйте цей код.",
		},
		"Ваш код {app}: {code}. Повторюю: {code}. Нікому не повідомляйте цей код. Він дійсний {minutes|one:# хвилину|few:# хвилини|many:# хвилин|other:# хвилини}.",
	},
	{
		"pl",
		{
			"Twój kod {app}: {code}. Nie podawaj go nikomu. Ważny {minutes} min.",
			"Kod {app}: {code}. Nie podawaj go nikomu. Ważny {minutes} min.",
			"Kod: {code}. Nie podawaj go nikomu.",
			"Nie podawaj nikomu tego kodu.",
		},
		"Twój kod {app} to: {code}. Powtarzam: {code}. Nie podawaj go nikomu. Kod jest ważny {minutes|one:# minutę|few:# minuty|many:# minut|other:# minuty}.",
	},
	{
		"nl",
		{
			"Je code voor {app}: {code}. Deel deze code met niemand. Hij is {minutes|one:# minuut|other:# minuten} geldig.",
			"Code voor {app}: {code}. Deel hem met niemand. {minutes} min geldig.",
			"Je code: {code}. Deel hem met niemand.",
			"Deel deze code met niemand.",
		},
		"Je code voor {app} is: {code}. Nog een keer: {code}. Deel deze code met niemand. Hij is {minutes|one:# minuut|other:# minuten} geldig.",
	},
	{
		/* Romanian counts take "de" from 20 on: "10 minute", "20 de minute". */
		"ro",
		{
			"Codul tău {app}: {code}. Nu-l da nimănui. Expiră în {minutes|one:# minut|few:# minute|other:# de minute}.",
			"Cod {app}: {code}. Nu-l da nimănui. Expiră în {minutes} min.",
			"Cod: {code}. Nu-l da nimănui.",
			"Nu da acest cod nimănui.",
		},
		"Codul tău {app} este: {code}. Repet: {code}. Nu da acest cod nimănui. Expiră în {minutes|one:# minut|few:# minute|other:# de minute}.",
	},
	{
		"el",
		{
			"Κωδικός {app}: {code}. Μην τον δώσετε σε κανέναν. Ισχύει {minutes|one:# λεπτό|other:# λεπτά}.",
			"Κωδικός {app}: {code}. Μην τον δώσετε. Ισχύει {minutes|one:# λεπτό|other:# λεπτά}.",
			"Κωδικός: {code}. Μην τον δώσετε.",
			"Μη δώσετε τον κωδικό σε κανέναν.",
		},
		"Ο κωδικός σας για το {app} είναι: {code}. Επαναλαμβάνω: {code}. Μη δώσετε τον κωδικό σε κανέναν. Ισχύει για {minutes|one:# λεπτό|other:# λεπτά}.",
	},
	{
		"cs",
		{
			"Váš kód pro {app}: {code}. Nikomu ho nesdělujte. Platí {minutes} min.",
			"Kód {app}: {code}. Nikomu ho nesdělujte. Platí {minutes} min.",
			"Kód: {code}. Nikomu ho nesdělujte.",
			"Tento kód nikomu nesdělujte.",
		},
		"Váš kód pro {app} je: {code}. Opakuji: {code}. Tento kód nikomu nesdělujte. Platí {minutes|one:# minutu|few:# minuty|other:# minut}.",
	},
	{
		/* "Az Ön ... kódja" carries its own article, whatever sound the app's name starts with. */
		"hu",
		{
			"Az Ön {app} kódja: {code}. Ne adja meg senkinek. {minutes} percig érvényes.",
			"{app} kód: {code}. Ne adja tovább. {minutes} percig érvényes.",
			"Kód: {code}. Ne adja meg senkinek.",
			"Ne adja meg senkinek.",
		},
		"Az Ön {app} kódja: {code}. Még egyszer: {code}. Ezt a kódot ne adja meg senkinek. A kód {minutes} percig érvényes.",
	},
	{
		"sv",
		{
			"Din kod för {app}: {code}. Dela den inte med någon. Den gäller i {minutes|one:# minut|other:# minuter}.",
			"Kod för {app}: {code}. Dela den inte med någon. Gäller i {minutes} min.",
			"Din kod: {code}. Dela den inte med någon.",
			"Dela inte den här koden med någon.",
		},
		"Din kod för {app} är: {code}. Jag upprepar: {code}. Dela inte koden med någon. Den gäller i {minutes|one:# minut|other:# minuter}.",
	},
	{
		/* The preposition sits inside the plural choice: לדקה אחת, ל-10 דקות. */
		"he",
		{
			"קוד {app}: {code}. אין למסור אותו לאף אחד. בתוקף {minutes|one:לדקה אחת|two:לשתי דקות|other:ל-# דקות}.",
			"קוד {app}: {code}. אין למסור לאף אחד. תוקף: {minutes} דק'.",
			"הקוד: {code}. אין למסור לאף אחד.",
			"אין למסור את הקוד לאף אחד.",
		},
		"קוד האימות שלך ל-{app} הוא: {code}. שוב: {code}. אין למסור את הקוד לאף אחד. הקוד בתוקף {minutes|one:לדקה אחת|two:לשתי דקות|other:ל-# דקות}.",
	},
};
/* clang-format on */

static const char *const form_names[MSG_FORMS] = {"full", "short", "code", "warning"};

const struct msg_builtin *msg_builtin_get(const struct msg_lang *lang)
{
	if (!lang)
		return NULL;
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (strcmp(builtins[i].tag, lang->tag) == 0)
			return &builtins[i];
	return NULL;
}

const char *msg_form_name(enum msg_form form)
{
	return form < MSG_FORMS ? form_names[form] : "full";
}
