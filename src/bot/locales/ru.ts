import type { Messages, Retention } from "./en";

/** Russian texts, the same shape as English: the compiler refuses a missing key. */
export const ru: Messages = {
  menu: {
    greeting: (name: string) =>
      `Привет, ${name}! 👋\n\nЯ превращаю ваши фото в персонального ИИ-аватара. Пришлите мне 5–50 своих фотографий, я обучу на них модель, а потом нарисую вас в любом стиле.\n\nЧто хотите сделать?`,
    title: "Главное меню. Что хотите сделать?",
    myAvatars: "🖼 Мои аватары",
    create: "➕ Создать аватар",
    help: "❓ Помощь",
    language: "🌐 Язык",
    back: "⬅️ Меню",
  },
  help: {
    text: (min: number, max: number) =>
      `<b>Как это работает</b>\n\n1. <b>Создайте аватар</b>: выберите тип и пол и дайте ему имя.\n2. <b>Пришлите ${min}–${max} своих фото</b>: чётких, хорошо освещённых, по одному лицу на фото, с разных ракурсов и на разном фоне.\n3. <b>Обучите</b> персональную модель (это займёт несколько минут).\n4. <b>Генерируйте</b> новые изображения по готовым стилям или своим словам.\n\n<b>Команды</b>\n/start — главное меню\n/help — эта справка\n/cancel — прервать текущее действие`,
  },
  language: {
    choose: "Выберите язык:",
    changed: "Язык переключён на русский.",
  },
  wizard: {
    chooseType: "<b>Шаг 1 из 3: тип аватара</b>\n\nЧто должен передавать аватар?",
    typeHelp:
      "👤 <b>Персонаж</b> — вы сами: лицо и внешность.\n🎨 <b>Стиль</b> — визуальный стиль для новых изображений.\n🛠 <b>Свой</b> — что-то другое, с нейтральными настройками обучения.",
    chooseGender: "<b>Шаг 2 из 3: пол</b>\n\nЭто поможет модели правильно описывать человека.",
    askName: "<b>Шаг 3 из 3: имя</b>\n\nОтправьте имя для аватара — от 1 до 40 символов.",
    cancel: "✖️ Отмена",
    confirmCancel: "Отменить создание аватара? Всё, что вы успели выбрать, будет сброшено.",
    yesCancel: "Да, отменить",
    noContinue: "Нет, продолжить",
    cancelled: "Создание аватара отменено.",
    resumed: "У вас есть незаконченный аватар — давайте его доделаем.",
    nameInvalid: {
      empty: "Имя пустое. Отправьте от 1 до 40 символов.",
      too_long: "Имя длиннее 40 символов. Отправьте покороче.",
      control_characters:
        "В имени есть невидимые или управляющие символы. Отправьте обычный текст, от 1 до 40 символов.",
    },
    photosIntro: (name: string, min: number, max: number, maxMb: number, minPx: number) =>
      `✅ Аватар <b>${name}</b> создан.\n\nТеперь пришлите <b>от ${min} до ${max} своих фото</b>:\n• чётких и хорошо освещённых, по одному лицу на фото;\n• с разных ракурсов, с разными выражениями лица и фоном;\n• обычными фото или файлами, чтобы сохранить оригиналы (JPEG, PNG или WEBP, до ${maxMb} МБ, не меньше ${minPx} px по короткой стороне).\n\nМожно отправить сразу несколько — альбомом.`,
  },
  avatarType: {
    CHARACTER: "👤 Персонаж",
    STYLE: "🎨 Стиль",
    CUSTOM: "🛠 Свой",
  },
  gender: {
    MALE: "👨 Мужской",
    FEMALE: "👩 Женский",
    OTHER: "🧑 Другой",
  },
  status: {
    DRAFT: "📝 Черновик",
    PHOTOS_UPLOADING: "📤 Сбор фото",
    READY_FOR_TRAINING: "✅ Готов к обучению",
    TRAINING: "⏳ Обучается",
    COMPLETED: "🌟 Готов",
    ERROR: "⚠️ Ошибка",
    CANCELLED: "🚫 Отменён",
  },
  avatars: {
    title: (total: number, page: number, pages: number) =>
      `<b>Ваши аватары</b> (${total})${pages > 1 ? `, страница ${page} из ${pages}` : ""}`,
    empty: "У вас пока нет аватаров. Создайте первый!",
    untitled: "Без имени",
    photos: (count: number, max: number) => `фото: ${count}/${max}`,
    training: (progress: number) => `обучение: ${progress}%`,
    created: (date: string) => `создан ${date}`,
    card: (name: string, status: string, type: string, photos: string, created: string) =>
      `<b>${name}</b>\n${status}\nТип: ${type}\n${photos}\n${created}`,
    prev: "◀️",
    next: "▶️",
    backToList: "⬅️ Мои аватары",
    continueSetup: "📝 Продолжить настройку",
    continueUpload: "📤 Продолжить загрузку",
    delete: "🗑 Удалить",
    confirmDelete: (name: string) =>
      `Удалить <b>${name}</b>? Его фото и всё, что из них сделано, будут удалены. Это нельзя отменить.`,
    yesDelete: "Да, удалить",
    noKeep: "Нет, оставить",
    deleted: "Аватар удалён.",
  },
  photos: {
    progress: (name: string, count: number, max: number) => `📸 <b>${name}</b>: ${count} из ${max} фото`,
    needMore: (missing: number, min: number) => `Пришлите ещё ${missing}, чтобы набрать минимум ${min}.`,
    enough: (max: number) => `Для обучения достаточно. Нажмите <b>Готово</b> или добавьте ещё (до ${max}).`,
    full: "Аватар заполнен. Нажмите <b>Готово</b> или удалите несколько фото, чтобы освободить место.",
    refusedTitle: "Не приняты:",
    notesTitle: "Обратите внимание:",
    processing: (n: number) => `⏳ Проверяю ещё ${n}…`,
    awaitingFaceCheck: (n: number) => `⏳ ${n} фото ждут проверки лица; проверю снова через несколько минут.`,
    barTowards: (count: number, min: number) => `${count} из ${min} для обучения`,
    barEnough: "для обучения хватает",
    photosLabel: (items: string[]) => `Фото ${new Intl.ListFormat("ru", { type: "conjunction" }).format(items)}`,
    moreLabels: (n: number) => `ещё ${n}`,
    statusMoved: "⬇️ Статус загрузки перенесён в конец чата.",
    photoLabel: (n: number) => `Фото ${n}`,
    andMore: (n: number) => `…и ещё ${n} фото`,
    refusal: {
      too_big: (max: number) => `больше ${max} МБ. Пришлите файл поменьше или отправьте его как фото, а не файлом.`,
      wrong_format: (format: string) => `формат ${format} не поддерживается. Пришлите JPEG, PNG или WEBP.`,
      too_small: (w: number, h: number, min: number) =>
        `${w}×${h} — слишком маленькое. Нужно не меньше ${min} px по короткой стороне.`,
      too_large: (w: number, h: number, max: number) =>
        `${w}×${h} — слишком большое. Нужно не больше ${max} px по длинной стороне.`,
      unreadable: "файл повреждён или это не изображение. Пришлите фото ещё раз или выберите другое.",
      too_complex: "этот WEBP слишком велик для обработки. Отправьте его как фото или в JPEG/PNG.",
      no_face: "лицо не найдено. Пришлите фото, где хорошо видно ваше лицо.",
      many_faces: "на фото больше одного лица. Пришлите фото, где только вы.",
      duplicate: "уже загружено в этот аватар. Пришлите другое фото.",
      full: (max: number) => `в аватаре уже ${max} фото. Удалите несколько, чтобы добавить новые.`,
      not_uploading: "этот аватар больше не принимает фото.",
      failed: "не удалось сохранить. Пожалуйста, пришлите это фото ещё раз.",
    },
    alsoIn: (label: string, name: string) => `${label} уже есть в вашем аватаре «${name}»; добавлено и сюда.`,
    done: "✅ Готово",
    doneNeedMore: (missing: number) => `Готово (нужно ещё ${missing})`,
    view: "🖼 Мои фото",
    notUploading: "Чтобы добавить фото, откройте «Мои аватары», выберите аватар и нажмите «Продолжить загрузку».",
    needMoreAlert: (missing: number, min: number) => `Сначала добавьте ещё ${missing} фото: нужно не меньше ${min}.`,
    stillChecking: "Ещё проверяю последние фото. Попробуйте через несколько секунд.",
    ready: (name: string, count: number) => `✅ <b>${name}</b> готов к обучению: ${count} фото.`,
    viewer: (n: number, total: number, quality: string, face: string) =>
      `Фото ${n} из ${total}\nКачество: ${quality}\nЛицо: ${face}`,
    faceYes: "найдено",
    faceUnknown: "не проверялось",
    facePending: "проверка позже",
    deletePhoto: "🗑 Удалить фото",
    confirmDeletePhoto: "Удалить это фото?",
    yesDeletePhoto: "Да, удалить",
    keepPhoto: "Нет, оставить",
    photoDeleted: "Фото удалено.",
    noPhotos: "В этом аватаре пока нет фото. Пришлите несколько, чтобы начать.",
    back: "⬅️ Назад",
  },
  training: {
    title: (name: string) => `🧠 <b>Обучение ${name}</b>`,
    explain: (count: number, trigger: string) =>
      `Я обучу персональную модель на ваших ${count} фото. Обычно это занимает несколько минут; я буду сообщать о ходе здесь.\n\nКлючевое слово: <code>${trigger}</code> — им вы обозначаете себя в запросах.`,
    priorityLabel: "Приоритет:",
    priority: { speed: "⚡ Скорость", balanced: "⚖️ Баланс", quality: "💎 Качество" },
    iterations: (n: number) => `🔁 Шагов: ${n}`,
    trainer: (endpoint: string) => `Тренер: ${endpoint}`,
    start: "🚀 Начать обучение",
    train: "🚀 Обучить",
    starting: (name: string) => `⏳ Готовлю <b>${name}</b> к обучению…`,
    queued: (position: number) => `В очереди fal, позиция ${position + 1}.`,
    running: "Обучение…",
    elapsed: (minutes: number) => `Прошло: ${minutes} мин.`,
    remaining: (minutes: number) => `Осталось примерно ${minutes} мин.`,
    usually: "Обычно обучение занимает 5–20 минут.",
    expected: (minutes: number) => `⏱ Обычно занимает около ${minutes} мин.`,
    finishingUp: "Завершаю…",
    cancel: "✖️ Отменить обучение",
    confirmCancel: "Отменить обучение? Фото останутся; обучить можно будет позже.",
    yesCancel: "Да, отменить",
    keepTraining: "Нет, продолжить",
    cancelled: (name: string) => `Обучение <b>${name}</b> отменено. Фото сохранены.`,
    completed: (name: string, minutes: number) => `🌟 <b>${name}</b> обучен и готов (${minutes} мин).`,
    generate: "🎨 Создать изображение",
    failed: (name: string, reason: string) =>
      `⚠️ Обучение <b>${name}</b> не удалось: ${reason}\n\nФото сохранены. Нажмите «Попробовать снова», чтобы обучить ещё раз.`,
    tryAgain: "🔁 Попробовать снова",
    startFailed:
      "⚠️ Не удалось начать обучение: подготовка ваших фото несколько раз сорвалась по нашей вине. Фото на месте, аватар по-прежнему готов к обучению. Нажмите «Начать обучение», чтобы попробовать ещё раз.",
    submitFailed: (reason: string) =>
      `⚠️ fal не принял обучение (${reason}). Аватар по-прежнему готов; попробуйте через несколько минут.`,
    notEnough: (missing: number) => `Перед обучением добавьте ещё ${missing} фото.`,
    stuck: "оно шло гораздо дольше, чем должно, и я перестал ждать",
    noLora: "fal завершил работу, но не выдал файл модели",
  },
  generate: {
    menu: (name: string) => `🎨 <b>${name}</b>: что создадим?`,
    options: (aspect: string, count: number) => `Формат ${aspect} · изображений: ${count}`,
    presets: "Выберите стиль или напишите свой запрос:",
    custom: "✍️ Свой запрос",
    repeat: "🔁 Повторить",
    gallery: "🖼 Мои изображения",
    aspect: (aspect: string) => `📐 ${aspect}`,
    count: (n: number) => `🔢 ×${n}`,
    askPrompt: (max: number) => `Опишите изображение на любом языке, до ${max} символов. Ключевое слово я добавлю сам.`,
    promptEmpty: "Запрос пустой. Опишите изображение словами.",
    promptTooLong: (max: number) => `Запрос длиннее ${max} символов. Сократите его и отправьте снова.`,
    inGallery: "🖼 Изображения готовы, но отправить их сюда не получилось. Они ждут вас в разделе «🖼 Мои изображения».",
    alreadyDrawing: "Уже рисую эти изображения — они придут через минуту.",
    working: "🎨 Рисую… это займёт около полуминуты.",
    busy: (max: number) => `У вас уже создаётся ${max} изображения. Дождитесь их и попробуйте снова.`,
    notReady: "Этот аватар ещё не обучен. Сначала обучите его, потом создавайте изображения.",
    moreLikeThis: "🔁 Ещё такие",
    anotherStyle: "🎨 Другой стиль",
    back: "⬅️ Назад",
    failed: (reason: string) => `⚠️ Не удалось создать изображение: ${reason}. Попробуйте ещё раз.`,
    timedOut: "это заняло слишком много времени",
    nsfw: "🙈 Результат помечен как неприемлемый, поэтому я его не отправил. Попробуйте другой запрос или стиль.",
    galleryTitle: (name: string, total: number, page: number, pages: number) =>
      `🖼 <b>${name}</b>: наборов изображений: ${total}${pages > 1 ? `, страница ${page} из ${pages}` : ""}`,
    galleryEmpty: "Изображений пока нет. Выберите стиль, чтобы создать первые.",
    galleryItem: (n: number, prompt: string, date: string) => `${n}. ${prompt} (${date})`,
    deleted: "Удалено.",
    stillMaking: "Эти изображения ещё создаются. Удалить их можно, когда они будут готовы.",
  },
  privacy: {
    text: (keep: Retention) => `<b>Ваши данные</b>

<b>Что хранится</b>
• Ваш Telegram id, имя, username и язык.
• Ваши аватары: имя, тип, настройки и статус.
• Ваши фото: оригиналы в том виде, в каком вы их прислали, маленькая миниатюра и кадр для обучения.
• Архивы для обучения (кадры, упакованные для fal.ai) и ссылка на вашу обученную модель.
• Созданные для вас изображения и их запросы.

<b>Где</b>
В базе данных и файловом хранилище бота (Cloudflare D1 и R2 или собственные PostgreSQL и S3 оператора). Фото отправляются в fal.ai для проверки лица, обучения модели и создания изображений.

<b>Как долго</b>
• Пока вы их не удалите, за исключением случаев ниже.
• Незаконченные аватары (черновики, аватары на этапе «Сбор фото» и отменённые) удаляются вместе с фото через ${duration(keep.abandonedSeconds)} после последнего изменения (шаг настройки, добавленное или удалённое фото).
• Архивы для обучения удаляются через ${duration(keep.archiveSeconds)} после создания.${
      keep.picturesSeconds === undefined
        ? ""
        : `\n• Созданные изображения удаляются через ${duration(keep.picturesSeconds)} после создания.`
    }

<b>Как удалить</b>
Удалите аватар в «Мои аватары» или всё сразу командой /deletemydata.`,
  },
  deleteData: {
    confirm: (avatars: number, photos: number, pictures: number) =>
      `Будет удалено <b>всё</b>, что бот хранит о вас: аватаров — ${avatars}, фото — ${photos}, наборов изображений — ${pictures}, архивы для обучения, ссылки на обученные модели и задания fal.ai, а также ваш профиль. Это нельзя отменить.`,
    yes: "Да, удалить всё",
    no: "Нет, оставить",
    done: "Все ваши данные удалены. Отправьте /start, когда захотите начать заново.",
    kept: "Ничего не удалено.",
  },
  errors: {
    notFound: "Этого аватара больше нет. Откройте «Мои аватары», чтобы увидеть актуальный список.",
    stale: "Эта кнопка устарела. Воспользуйтесь последним сообщением или /start.",
    busyTraining: "Этот аватар сейчас обучается. Дождитесь конца обучения и попробуйте снова.",
    generic: "У нас что-то пошло не так. Попробуйте ещё раз через минуту; если не поможет — отправьте /start.",
    unknownInput: "Я не понял. Воспользуйтесь кнопками ниже или /help.",
    nothingToCancel: "Отменять нечего. Вот меню.",
    uploadStopped: "Загрузка фото приостановлена. Аватар сохранён — продолжить можно в «Мои аватары».",
  },
};

/** Время после «через»: «7 дней», «1 час», «21 минуту» — в самых крупных единицах, где оно точно. */
function duration(seconds: number): string {
  if (seconds % 86400 === 0) return plural(seconds / 86400, "день", "дня", "дней");
  if (seconds % 3600 === 0) return plural(seconds / 3600, "час", "часа", "часов");
  return plural(Math.max(1, Math.round(seconds / 60)), "минуту", "минуты", "минут");
}

/** A number with the Russian noun form it takes: 1, 21 → one; 2–4, 22–24 → few; 0, 5–20, 25… → many. */
function plural(n: number, one: string, few: string, many: string): string {
  const tens = n % 100;
  const units = n % 10;
  const form = units === 1 && tens !== 11 ? one : units >= 2 && units <= 4 && (tens < 12 || tens > 14) ? few : many;
  return `${n} ${form}`;
}
