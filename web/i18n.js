// The pages' words, folded into one table: a row a sentence, with the
// sentence in each language the page carries (the languages iotp writes its
// own messages in). A language without a sentence shows English; an error
// without one shows the server's own sentence (in English). ERRORS holds a
// sentence for each error.code the API can give, so a person reads what went
// wrong in their language; pin_format and device_name are the page's names
// for invalid_field on those fields.
'use strict';
(function () {
  const LANGS = {
    en: { dir: 'ltr', name: 'English' },
    ar: { dir: 'rtl', name: 'العربية' },
    es: { dir: 'ltr', name: 'Español' },
    fr: { dir: 'ltr', name: 'Français' },
  };
  const WORDS = {
    title: { en: 'Verify your phone number', ar: 'تحقّق من رقم هاتفك', es: 'Verifica tu número de teléfono', fr: 'Vérifiez votre numéro de téléphone' },
    intro: { en: 'We will send a code by SMS to prove this number is yours.', ar: 'سنرسل رمزًا برسالة قصيرة لإثبات أن هذا الرقم لك.', es: 'Te enviaremos un código por SMS para comprobar que este número es tuyo.', fr: 'Nous allons envoyer un code par SMS pour prouver que ce numéro est le vôtre.' },
    country: { en: 'Country', ar: 'البلد', es: 'País', fr: 'Pays' },
    phone: { en: 'Phone number', ar: 'رقم الهاتف', es: 'Número de teléfono', fr: 'Numéro de téléphone' },
    phoneHint: { en: 'For example {example}', ar: 'مثال: {example}', es: 'Por ejemplo {example}', fr: 'Par exemple {example}' },
    sendCode: { en: 'Send code', ar: 'أرسل الرمز', es: 'Enviar código', fr: 'Envoyer le code' },
    sending: { en: 'Sending…', ar: 'جارٍ الإرسال…', es: 'Enviando…', fr: 'Envoi…' },
    sentTo: { en: 'We sent a code to {phone}.', ar: 'أرسلنا رمزًا إلى {phone}.', es: 'Enviamos un código a {phone}.', fr: 'Nous avons envoyé un code au {phone}.' },
    code: { en: 'Code from the SMS', ar: 'الرمز من الرسالة', es: 'Código del SMS', fr: 'Code reçu par SMS' },
    codeHint: { en: '{n} digits. You can paste the whole message.', ar: '{n} أرقام. يمكنك لصق الرسالة كاملة.', es: '{n} dígitos. Puedes pegar el mensaje entero.', fr: '{n} chiffres. Vous pouvez coller tout le message.' },
    verify: { en: 'Verify', ar: 'تحقّق', es: 'Verificar', fr: 'Vérifier' },
    checking: { en: 'Checking…', ar: 'جارٍ التحقق…', es: 'Comprobando…', fr: 'Vérification…' },
    resendSms: { en: 'Resend SMS', ar: 'أعد إرسال الرسالة', es: 'Reenviar SMS', fr: 'Renvoyer le SMS' },
    callMe: { en: 'Call me', ar: 'اتصل بي', es: 'Llámame', fr: 'Appelez-moi' },
    resendIn: { en: 'You can ask for a new SMS in {t}.', ar: 'يمكنك طلب رسالة جديدة بعد {t}.', es: 'Podrás pedir otro SMS en {t}.', fr: 'Nouveau SMS possible dans {t}.' },
    callIn: { en: 'We can call you in {t}.', ar: 'يمكننا الاتصال بك بعد {t}.', es: 'Podremos llamarte en {t}.', fr: 'Appel possible dans {t}.' },
    resendNow: { en: 'No code yet? Ask for a new SMS or a call.', ar: 'لم يصلك الرمز؟ اطلب رسالة جديدة أو مكالمة.', es: '¿No llega el código? Pide otro SMS o una llamada.', fr: 'Pas de code ? Demandez un nouveau SMS ou un appel.' },
    noMoreSms: { en: 'No more SMS can be sent for this number now.', ar: 'لا يمكن إرسال مزيد من الرسائل لهذا الرقم الآن.', es: 'Ya no se pueden enviar más SMS a este número.', fr: 'Plus aucun SMS ne peut être envoyé à ce numéro pour le moment.' },
    changeNumber: { en: 'Use another number', ar: 'استخدم رقمًا آخر', es: 'Usar otro número', fr: 'Utiliser un autre numéro' },
    verified: { en: 'Verified', ar: 'تم التحقق', es: 'Verificado', fr: 'Vérifié' },
    verifiedText: { en: '{phone} is yours. You can close this page.', ar: 'الرقم {phone} لك. يمكنك إغلاق هذه الصفحة.', es: '{phone} es tuyo. Puedes cerrar esta página.', fr: 'Le {phone} est bien à vous. Vous pouvez fermer cette page.' },
    startOver: { en: 'Verify another number', ar: 'تحقّق من رقم آخر', es: 'Verificar otro número', fr: 'Vérifier un autre numéro' },
    attemptsLeft: { en: '{n} attempts left.', ar: 'المحاولات المتبقية: {n}.', es: 'Quedan {n} intentos.', fr: 'Encore {n} essais.' },
    phoneTitle: { en: 'Simulated phone', ar: 'هاتف تجريبي', es: 'Teléfono simulado', fr: 'Téléphone simulé' },
    phoneEmpty: { en: 'No messages yet. Send a code to see it arrive here.', ar: 'لا رسائل بعد. أرسل رمزًا لتراه يصل هنا.', es: 'Aún no hay mensajes. Envía un código para verlo llegar aquí.', fr: 'Aucun message. Envoyez un code pour le voir arriver ici.' },
    phoneFor: { en: 'Messages to {phone}', ar: 'الرسائل إلى {phone}', es: 'Mensajes a {phone}', fr: 'Messages au {phone}' },
    now: { en: 'now', ar: 'الآن', es: 'ahora', fr: 'maintenant' },
    proving: { en: 'Checking your browser… (a few seconds)', ar: 'جارٍ فحص المتصفح… (بضع ثوانٍ)', es: 'Comprobando tu navegador… (unos segundos)', fr: 'Vérification du navigateur… (quelques secondes)' },
    numberValid: { en: '{formatted} · {type}', ar: '{formatted} · {type}', es: '{formatted} · {type}', fr: '{formatted} · {type}' },
    language: { en: 'Language', ar: 'اللغة', es: 'Idioma', fr: 'Langue' },
    nextIntro: { en: 'Now do what an app does with a verified number:', ar: 'افعل الآن ما يفعله تطبيق برقم تم التحقق منه:', es: 'Ahora haz lo que hace una aplicación con un número verificado:', fr: 'Faites maintenant ce que fait une application d’un numéro vérifié :' },
    registerDevice: { en: 'Register this device', ar: 'سجّل هذا الجهاز', es: 'Registrar este dispositivo', fr: 'Enregistrer cet appareil' },
    registerIntro: { en: 'The number’s account moves to this device; any other device on it is signed out.', ar: 'ينتقل حساب الرقم إلى هذا الجهاز، ويُسجَّل خروج أي جهاز آخر عليه.', es: 'La cuenta del número pasa a este dispositivo; cualquier otro queda desconectado.', fr: 'Le compte du numéro passe sur cet appareil ; tout autre appareil est déconnecté.' },
    deviceName: { en: 'Device name', ar: 'اسم الجهاز', es: 'Nombre del dispositivo', fr: 'Nom de l’appareil' },
    deviceNameDefault: { en: 'My browser', ar: 'متصفحي', es: 'Mi navegador', fr: 'Mon navigateur' },
    register: { en: 'Register', ar: 'سجّل', es: 'Registrar', fr: 'Enregistrer' },
    pinLabel: { en: 'Two-step PIN', ar: 'رمز التحقق بخطوتين', es: 'PIN de verificación en dos pasos', fr: 'Code PIN de vérification en deux étapes' },
    accountTitle: { en: 'Your account', ar: 'حسابك', es: 'Tu cuenta', fr: 'Votre compte' },
    accNumber: { en: 'Number', ar: 'الرقم', es: 'Número', fr: 'Numéro' },
    accDevice: { en: 'Device', ar: 'الجهاز', es: 'Dispositivo', fr: 'Appareil' },
    pinOn: { en: 'On', ar: 'مفعّل', es: 'Activado', fr: 'Activé' },
    pinOff: { en: 'Off', ar: 'غير مفعّل', es: 'Desactivado', fr: 'Désactivé' },
    registered: { en: 'This device is registered.', ar: 'تم تسجيل هذا الجهاز.', es: 'Este dispositivo está registrado.', fr: 'Cet appareil est enregistré.' },
    setPin: { en: 'Set a two-step PIN', ar: 'عيّن رمز التحقق بخطوتين', es: 'Elegir un PIN de dos pasos', fr: 'Choisir un code PIN en deux étapes' },
    pinIntro: { en: 'Six digits you will be asked for whenever this number is registered on another device.', ar: 'ستة أرقام تُطلب منك كلما سُجّل هذا الرقم على جهاز آخر.', es: 'Seis dígitos que se te pedirán cada vez que este número se registre en otro dispositivo.', fr: 'Six chiffres demandés chaque fois que ce numéro est enregistré sur un autre appareil.' },
    newPin: { en: 'PIN (6 digits)', ar: 'الرمز (6 أرقام)', es: 'PIN (6 dígitos)', fr: 'Code PIN (6 chiffres)' },
    confirmPin: { en: 'The same PIN again', ar: 'الرمز نفسه مرة أخرى', es: 'El mismo PIN otra vez', fr: 'Le même code PIN à nouveau' },
    savePin: { en: 'Save the PIN', ar: 'احفظ الرمز', es: 'Guardar el PIN', fr: 'Enregistrer le code PIN' },
    pinSaved: { en: 'Your two-step PIN is on.', ar: 'رمز التحقق بخطوتين مفعّل الآن.', es: 'Tu PIN de dos pasos está activado.', fr: 'Votre code PIN en deux étapes est activé.' },
    pinsDiffer: { en: 'The two PINs differ. Type the same 6 digits twice.', ar: 'الرمزان مختلفان. اكتب الأرقام الستة نفسها مرتين.', es: 'Los dos PIN no coinciden. Escribe los mismos 6 dígitos dos veces.', fr: 'Les deux codes PIN diffèrent. Tapez deux fois les mêmes 6 chiffres.' },
    back: { en: 'Back', ar: 'رجوع', es: 'Volver', fr: 'Retour' },
    changeTitle: { en: 'Change number', ar: 'غيّر الرقم', es: 'Cambiar de número', fr: 'Changer de numéro' },
    changeOld: { en: 'Step 1 of 2: confirm your current number, {phone}, with a code.', ar: 'الخطوة 1 من 2: أكّد رقمك الحالي {phone} برمز.', es: 'Paso 1 de 2: confirma tu número actual, {phone}, con un código.', fr: 'Étape 1 sur 2 : confirmez votre numéro actuel, {phone}, avec un code.' },
    changeNew: { en: 'Step 2 of 2: your new number. We will send it a code.', ar: 'الخطوة 2 من 2: رقمك الجديد. سنرسل إليه رمزًا.', es: 'Paso 2 de 2: tu número nuevo. Le enviaremos un código.', fr: 'Étape 2 sur 2 : votre nouveau numéro. Nous lui enverrons un code.' },
    numberChanged: { en: 'Your account is now on {phone}.', ar: 'حسابك الآن على الرقم {phone}.', es: 'Tu cuenta está ahora en {phone}.', fr: 'Votre compte est maintenant sur le {phone}.' },
    pinForNew: { en: 'The new number has an account with a two-step PIN. Enter that PIN to take the number over.', ar: 'للرقم الجديد حساب برمز تحقق بخطوتين. أدخل ذلك الرمز لنقل الرقم إليك.', es: 'El número nuevo tiene una cuenta con PIN de dos pasos. Escribe ese PIN para quedarte con el número.', fr: 'Le nouveau numéro a un compte protégé par un code PIN. Saisissez ce code pour reprendre le numéro.' },
  };
  const ERRORS = {
    network: { en: 'The server cannot be reached. Check your connection and try again.', ar: 'تعذّر الوصول إلى الخادم. تحقّق من اتصالك وحاول مرة أخرى.', es: 'No se puede contactar con el servidor. Revisa tu conexión y vuelve a intentarlo.', fr: 'Le serveur est injoignable. Vérifiez votre connexion et réessayez.' },
    invalid_number: { en: 'This is not a valid phone number. Check the country and the digits.', ar: 'هذا ليس رقم هاتف صالحًا. تحقّق من البلد والأرقام.', es: 'No es un número de teléfono válido. Revisa el país y los dígitos.', fr: 'Ce numéro n’est pas valide. Vérifiez le pays et les chiffres.' },
    missing_country_code: { en: 'Choose the country, or start the number with + and its country code.', ar: 'اختر البلد، أو ابدأ الرقم بعلامة + ورمز البلد.', es: 'Elige el país, o empieza el número con + y su prefijo.' },
    too_short: { en: 'The number is too short. Did you type every digit?', ar: 'الرقم قصير جدًا. هل كتبت كل الأرقام؟', es: 'El número es demasiado corto. ¿Escribiste todos los dígitos?', fr: 'Le numéro est trop court. Avez-vous saisi tous les chiffres ?' },
    too_long: { en: 'The number is too long. Check for an extra digit.', ar: 'الرقم طويل جدًا. تحقّق من وجود رقم زائد.', es: 'El número es demasiado largo. Revisa si sobra un dígito.', fr: 'Le numéro est trop long. Vérifiez s’il y a un chiffre en trop.' },
    invalid_country_code: { en: 'That country code does not exist. Check the digits after +.', ar: 'رمز البلد هذا غير موجود. تحقّق من الأرقام بعد +.' },
    unsupported_number_type: { en: 'Codes cannot be sent to this kind of number. Use a mobile number.', ar: 'لا يمكن إرسال الرموز إلى هذا النوع من الأرقام. استخدم رقم جوال.' },
    incorrect_code: { en: 'That code is not right. Check the SMS and try again.', ar: 'الرمز غير صحيح. تحقّق من الرسالة وحاول مرة أخرى.', es: 'Ese código no es correcto. Revisa el SMS y vuelve a intentarlo.', fr: 'Ce code n’est pas le bon. Vérifiez le SMS et réessayez.' },
    code_expired: { en: 'The code has expired. Ask for a new one.', ar: 'انتهت صلاحية الرمز. اطلب رمزًا جديدًا.', es: 'El código ha caducado. Pide uno nuevo.', fr: 'Le code a expiré. Demandez-en un nouveau.' },
    attempts_exhausted: { en: 'Too many wrong codes. Start again with a new code.', ar: 'رموز خاطئة كثيرة. ابدأ من جديد برمز جديد.', es: 'Demasiados códigos erróneos. Empieza de nuevo con otro código.', fr: 'Trop de codes erronés. Recommencez avec un nouveau code.' },
    send_too_soon: { en: 'Please wait before asking for another code.', ar: 'يُرجى الانتظار قبل طلب رمز آخر.', es: 'Espera un poco antes de pedir otro código.', fr: 'Patientez avant de demander un autre code.' },
    sends_exhausted: { en: 'No more codes can be sent for this number now. Try again later.', ar: 'لا يمكن إرسال مزيد من الرموز لهذا الرقم الآن. حاول لاحقًا.' },
    session_expired: { en: 'This attempt has expired. Start again.', ar: 'انتهت صلاحية هذه المحاولة. ابدأ من جديد.', es: 'Este intento ha caducado. Empieza de nuevo.', fr: 'Cette tentative a expiré. Recommencez.' },
    country_not_allowed: { en: 'Codes are not sent to numbers in this country.', ar: 'لا تُرسل الرموز إلى أرقام هذا البلد.' },
    prefix_blocked: { en: 'Codes cannot be sent to this number right now. Try again later.', ar: 'لا يمكن إرسال الرموز إلى هذا الرقم الآن. حاول لاحقًا.' },
    spend_cap_reached: { en: 'Codes cannot be sent right now. Try again later.', ar: 'لا يمكن إرسال الرموز الآن. حاول لاحقًا.' },
    rate_limited: { en: 'Too many attempts. Try again in {t}.', ar: 'محاولات كثيرة جدًا. حاول مرة أخرى بعد {t}.', es: 'Demasiados intentos. Vuelve a intentarlo en {t}.', fr: 'Trop de tentatives. Réessayez dans {t}.' },
    channel_not_available: { en: 'A call is not available for this number yet.', ar: 'المكالمة غير متاحة لهذا الرقم بعد.' },
    no_code_sent: { en: 'No code has been sent yet. Ask for one first.', ar: 'لم يُرسل أي رمز بعد. اطلب رمزًا أولًا.' },
    already_verified: { en: 'This number is already verified.', ar: 'تم التحقق من هذا الرقم من قبل.' },
    challenge_failed: { en: 'The browser check failed. Try again.', ar: 'فشل فحص المتصفح. حاول مرة أخرى.' },
    session_not_verified: { en: 'Verify the number with its code first.', ar: 'تحقّق من الرقم برمزه أولًا.', es: 'Primero verifica el número con su código.', fr: 'Vérifiez d’abord le numéro avec son code.' },
    session_spent: { en: 'This verification has been used already. Verify the number again.', ar: 'استُخدم هذا التحقق من قبل. تحقّق من الرقم مرة أخرى.', es: 'Esta verificación ya se usó. Verifica el número otra vez.', fr: 'Cette vérification a déjà servi. Vérifiez à nouveau le numéro.' },
    session_too_old: { en: 'This verification is too old. Verify the number again.', ar: 'هذا التحقق قديم جدًا. تحقّق من الرقم مرة أخرى.', es: 'Esta verificación es demasiado antigua. Verifica el número otra vez.', fr: 'Cette vérification est trop ancienne. Vérifiez à nouveau le numéro.' },
    session_wrong_number: { en: 'Confirm the account’s current number first, with a code sent to it.', ar: 'أكّد رقم الحساب الحالي أولًا برمز يُرسل إليه.', es: 'Confirma primero el número actual de la cuenta con un código enviado a él.', fr: 'Confirmez d’abord le numéro actuel du compte avec un code envoyé à ce numéro.' },
    pin_required: { en: 'This number has a two-step PIN. Enter it to go on.', ar: 'لهذا الرقم رمز تحقق بخطوتين. أدخله للمتابعة.', es: 'Este número tiene un PIN de dos pasos. Escríbelo para continuar.', fr: 'Ce numéro a un code PIN en deux étapes. Saisissez-le pour continuer.' },
    incorrect_pin: { en: 'That PIN is not right.', ar: 'الرمز غير صحيح.', es: 'Ese PIN no es correcto.', fr: 'Ce code PIN n’est pas le bon.' },
    pin_wait: { en: 'Too many wrong PINs. Try again in {t}.', ar: 'رموز خاطئة كثيرة. حاول مرة أخرى بعد {t}.', es: 'Demasiados PIN erróneos. Vuelve a intentarlo en {t}.', fr: 'Trop de codes PIN erronés. Réessayez dans {t}.' },
    pin_locked: { en: 'Too many wrong PINs: the PIN is locked. Reset it by e-mail, or wait 7 days for it to lapse.', ar: 'رموز خاطئة كثيرة: الرمز مقفل. أعد تعيينه بالبريد الإلكتروني، أو انتظر 7 أيام حتى ينتهي.', es: 'Demasiados PIN erróneos: el PIN está bloqueado. Restablécelo por correo o espera 7 días a que caduque.', fr: 'Trop de codes PIN erronés : le code est bloqué. Réinitialisez-le par e-mail ou attendez 7 jours qu’il expire.' },
    pin_format: { en: 'The PIN must be exactly 6 digits.', ar: 'يجب أن يتكون الرمز من 6 أرقام بالضبط.', es: 'El PIN debe tener exactamente 6 dígitos.', fr: 'Le code PIN doit compter exactement 6 chiffres.' },
    device_name: { en: 'Give this device a name, up to 64 characters.', ar: 'أعطِ هذا الجهاز اسمًا، حتى 64 حرفًا.', es: 'Ponle un nombre a este dispositivo, de hasta 64 caracteres.', fr: 'Donnez un nom à cet appareil, 64 caractères au plus.' },
    invalid_credential: { en: 'This device is no longer registered (the number was registered elsewhere). Verify and register again.', ar: 'لم يعد هذا الجهاز مسجّلًا (سُجّل الرقم في مكان آخر). تحقّق وسجّل مرة أخرى.', es: 'Este dispositivo ya no está registrado (el número se registró en otro). Verifica y regístralo de nuevo.', fr: 'Cet appareil n’est plus enregistré (le numéro l’a été ailleurs). Vérifiez et enregistrez-le à nouveau.' },
    reverification_required: { en: 'Verify your number again to go on.', ar: 'تحقّق من رقمك مرة أخرى للمتابعة.', es: 'Verifica tu número otra vez para continuar.', fr: 'Vérifiez à nouveau votre numéro pour continuer.' },
    same_number: { en: 'That is already this account’s number. Enter a different one.', ar: 'هذا هو رقم الحساب بالفعل. أدخل رقمًا آخر.', es: 'Ese ya es el número de la cuenta. Escribe otro.', fr: 'C’est déjà le numéro de ce compte. Saisissez-en un autre.' },
    number_taken: { en: 'That number belongs to another account.', ar: 'هذا الرقم لحساب آخر.', es: 'Ese número pertenece a otra cuenta.', fr: 'Ce numéro appartient à un autre compte.' },
  };

  // window.IOTP_I18N[lang] = {dir, name, ...its words, errors: {...}}: what
  // page.js reads; a language gets only the sentences it has.
  const pick = (table, lang) => Object.fromEntries(
    Object.entries(table).filter(([, row]) => row[lang] !== undefined).map(([k, row]) => [k, row[lang]]));
  window.IOTP_I18N = Object.fromEntries(Object.entries(LANGS).map(([lang, about]) =>
    [lang, { ...about, ...pick(WORDS, lang), errors: pick(ERRORS, lang) }]));
})();
