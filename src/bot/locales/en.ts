import type { AvatarGender, AvatarStatus, AvatarType } from "../../domain/avatar";
import type { AspectRatio } from "../../domain/entities";
import type { FailureReason } from "../../domain/failure-reason";
import type { PhotoAdvice } from "../../domain/likeness-coach";
import { countEn, duration, fileSize, pixels, pluralForm, range, waitTime } from "./plural";

/** English texts. Every string is HTML; values that users typed arrive here already escaped. */
export const en = {
  menu: {
    greeting: (firstName: string, min: number, max: number) =>
      `Hi, ${firstName}! 👋\n\nI turn your photos into a personal AI avatar. Send me ${range(min, max)} ${pluralForm("en", max, { one: "photo", other: "photos" })} of yourself, I learn your look from them, and then I can draw you in any style.\n\nWhat would you like to do?`,
    title: "Main menu. What would you like to do?",
    myAvatars: "🗂 My avatars",
    create: "➕ Create avatar",
    help: "❓ Help",
    language: "🌐 Language",
    balance: "💳 Balance",
    back: "⬅️ Menu",
  },
  help: {
    text: (min: number, max: number) =>
      `<b>How it works</b>\n\n1. <b>Create an avatar</b>: pick its type and gender and give it a name.\n2. <b>Send ${range(min, max)} ${pluralForm("en", max, { one: "photo", other: "photos" })}</b> of yourself: sharp, well lit, one face per photo, different angles and backgrounds.\n3. <b>Train</b> the avatar: it learns your look, which usually takes a few minutes.\n4. <b>Create pictures</b> in ready-made styles or from your own description.\n\n<b>Commands</b>\n/start: main menu\n/help: this help\n/balance: your credits and what they went on\n/cancel: stop what you are doing\n/privacy: what the bot stores about you and for how long\n/deletemydata: delete everything the bot keeps about you\n/buy: buy credits with Telegram Stars\n/terms: terms of sale\n/paysupport: help with payments`,
  },
  language: {
    choose: "Choose your language:",
    changed: "Language set to English.",
  },
  wizard: {
    chooseType: "<b>Step 1 of 3: avatar type</b>\n\nWhat should the avatar learn from your photos?",
    typeHelp:
      "👤 <b>Character</b>: your face and look, to put you into any scene. Best for portraits of you.\n🎨 <b>Style</b>: the look of your photos (light, colours, mood), to paint new scenes in it.\n🛠 <b>Custom</b>: the whole photo, you and your surroundings alike, without extra focus on the face.",
    chooseGender:
      "<b>Step 2 of 3: gender</b>\n\nWho is in your photos? Pictures of you will show a man, a woman or simply a person, as you choose.",
    askName: `<b>Step 3 of 3: name</b>\n\nSend a name for the avatar, 1 to 40 characters.`,
    cancel: "✖️ Cancel",
    confirmCancel: "Cancel creating this avatar? What you have chosen so far will be discarded.",
    yesCancel: "Yes, cancel",
    noContinue: "No, continue",
    cancelled: "Avatar creation cancelled.",
    resumed: "You have an avatar in progress; let's finish it.",
    nameInvalid: {
      empty: "The name is empty. Send 1 to 40 characters.",
      too_long: "That name is longer than 40 characters. Send a shorter one.",
      control_characters: "The name contains invisible or control characters. Send plain text, 1 to 40 characters.",
    },
    photosIntro: (name: string, min: number, max: number, maxBytes: number, minPx: number) =>
      `✅ Avatar <b>${name}</b> created.\n\nNow send <b>${min} to ${countEn(max, "photo", "photos")}</b> of yourself:\n• sharp and well lit, one face per photo;\n• different angles, expressions and backgrounds;\n• as ordinary photos, or as files to keep the originals (JPEG, PNG or WEBP, up to ${fileSize("en", maxBytes)}, at least ${pixels("en", minPx)} on the shorter side).\n\nYou can send several at once as an album.`,
  },
  avatarType: {
    CHARACTER: "👤 Character",
    STYLE: "🎨 Style",
    CUSTOM: "🛠 Custom",
  } satisfies Record<AvatarType, string>,
  gender: {
    MALE: "👨 Male",
    FEMALE: "👩 Female",
    OTHER: "🧑 Other",
  } satisfies Record<AvatarGender, string>,
  status: {
    DRAFT: "📝 Draft",
    PHOTOS_UPLOADING: "📤 Collecting photos",
    READY_FOR_TRAINING: "✅ Ready to train",
    TRAINING: "⏳ Training",
    COMPLETED: "🌟 Ready",
    ERROR: "⚠️ Training failed",
    CANCELLED: "🚫 Cancelled",
  } satisfies Record<AvatarStatus, string>,
  avatars: {
    title: (total: number, page: number, pages: number) =>
      `<b>Your avatars</b> (${total})${pages > 1 ? `, page ${page} of ${pages}` : ""}`,
    empty: "You have no avatars yet. Create your first one!",
    untitled: "Untitled",
    photos: (count: number, max: number) => `📸 ${countEn(count, "photo", "photos")} (up to ${max})`,
    training: (progress: number) => `training ${progress}% done`,
    created: (date: string) => `created ${date}`,
    card: (name: string, status: string, type: string, photoLine: string, created: string) =>
      `<b>Avatar ${name}</b>\n${status}\nType: ${type}\n${photoLine}\n${created}`,
    prev: "◀️",
    next: "▶️",
    backToList: "⬅️ My avatars",
    continueSetup: "📝 Continue setup",
    continueUpload: "📤 Continue uploading",
    delete: "🗑 Delete",
    confirmDelete: (name: string) =>
      `Delete avatar <b>${name}</b>? Its photos and every picture made with it will be removed. This cannot be undone.`,
    yesDelete: "Yes, delete",
    noKeep: "No, keep it",
    deleted: "Avatar deleted.",
  },
  photos: {
    progress: (name: string, count: number, max: number) =>
      `📸 Avatar <b>${name}</b>: ${count} of ${countEn(max, "photo", "photos")}`,
    needMore: (missing: number, min: number) =>
      `Send ${countEn(missing, "more photo", "more photos")} to reach the minimum of ${min}.`,
    enough: (max: number) => `Enough for training. Press <b>Done</b>, or keep adding photos (up to ${max}).`,
    full: "The avatar is full. Press <b>Done</b>, or delete some photos to make room.",
    refusedTitle: "Not accepted:",
    notesTitle: "Good to know:",
    processing: (n: number) => `⏳ Checking ${countEn(n, "more photo", "more photos")}…`,
    awaitingFaceCheck: (n: number) =>
      `⏳ ${countEn(n, "photo waits", "photos wait")} for the face check; I will check again in a few minutes.`,
    barTowards: (count: number, min: number) => `${count} of ${min} needed for training`,
    barEnough: "enough for training",
    photosLabel: (items: string[]) => `Photos ${new Intl.ListFormat("en", { type: "conjunction" }).format(items)}`,
    moreLabels: (n: number) => `${n} more`,
    statusMoved: "⬇️ The upload status has moved to the bottom of the chat.",
    photoLabel: (n: number) => `Photo ${n}`,
    andMore: (n: number) => `…and ${n} more`,
    refusal: {
      too_big: (maxBytes: number) =>
        `larger than ${fileSize("en", maxBytes)}. Send a smaller file, or send it as a photo instead of a file.`,
      wrong_format: (format: string) => `${format} is not supported. Send JPEG, PNG or WEBP.`,
      too_small: (w: number, h: number, min: number) =>
        `${w}×${h} is too small. Send a photo at least ${pixels("en", min)} on the shorter side.`,
      too_large: (w: number, h: number, max: number) =>
        `${w}×${h} is too large. Send a photo at most ${pixels("en", max)} on the longer side.`,
      unreadable: "the file is damaged or not a readable image. Send the photo again or choose another.",
      too_complex: "this WEBP is too large for us to process. Send it as a photo, or as JPEG or PNG.",
      no_face: "no face found. Send a photo where your face is clearly visible.",
      many_faces: "more than one face. Send a photo with only you in it.",
      duplicate: "already uploaded to this avatar. Send a different photo.",
      full: (max: number) =>
        `the avatar already has ${countEn(max, "photo", "photos")}, the most it takes. Delete some to add new ones.`,
      not_uploading: "this avatar is no longer collecting photos.",
      failed: "we could not save it. Please send this photo again.",
    },
    alsoIn: (label: string, name: string) => `${label} is also in your avatar “${name}”; added here too.`,
    done: "✅ Done",
    doneNeedMore: (missing: number) => `Done (${missing} more needed)`,
    view: "🤳 View photos",
    needMoreAlert: (missing: number, min: number) =>
      `Add ${countEn(missing, "more photo", "more photos")} first: training needs at least ${min}.`,
    stillChecking: "Still checking your latest photos. Try again in a few seconds.",
    ready: (name: string, count: number) =>
      `✅ Avatar <b>${name}</b> is ready for training with ${countEn(count, "photo", "photos")}.`,
    viewer: (n: number, total: number, quality: string, face: string) =>
      `Photo ${n} of ${total}\nQuality: ${quality}\nFace: ${face}`,
    faceYes: "found",
    faceUnknown: "not checked",
    facePending: "check pending",
    deletePhoto: "🗑 Delete photo",
    confirmDeletePhoto: (n: number, total: number) =>
      `🗑 <b>Delete this photo?</b>\nPhoto ${n} of ${total}. It leaves the avatar and its files are removed; this cannot be undone.`,
    yesDeletePhoto: "Yes, delete",
    keepPhoto: "No, keep",
    photoDeleted: "Photo deleted.",
    noPhotos: "This avatar has no photos yet. Send some to get started.",
    back: "⬅️ Back",
  },
  coach: {
    adviceTitle: "Accepted, but could be better:",
    advice: {
      sunglasses: "sunglasses hide your eyes. A photo without them helps the likeness.",
      head_covering: "a hat or head covering hides your hair and forehead. Add a photo without it.",
      face_small: "your face is small in the frame. Move closer, or add a close-up.",
      cut_off: "the edge of the frame cuts off your face. Add a photo with the whole face in it.",
      blurry: "the photo is blurry. A sharper one helps the likeness.",
      dark: "the photo is too dark. Add one taken in brighter light.",
      bright: "the photo is too bright. Add one taken in softer light.",
      filter: "a strong filter or retouch changes your face. Add a photo without it.",
      looking_away: "you are looking far away from the camera. Add one looking into the lens.",
    } satisfies Record<PhotoAdvice, string>,
    mark: {
      sunglasses: "sunglasses",
      head_covering: "head covering",
      face_small: "face too small",
      cut_off: "face cut off",
      blurry: "blurry",
      dark: "too dark",
      bright: "too bright",
      filter: "filter or retouch",
      looking_away: "looking away",
    } satisfies Record<PhotoAdvice, string>,
    marks: (marks: string[]) => `⚠️ Could be better: ${marks.join(", ")}`,
    deleteNow: "🗑 Delete now",
    score: (score: number) => `⭐ For likeness, the set scores <b>${score} out of 10</b>.`,
    raiseTitle: "What would raise it:",
    suggestion: {
      similar: (n: number) =>
        `• ${countEn(n, "photo looks", "photos look")} almost the same: keep the best of them and replace the rest with different shots.`,
      close_ups: (n: number) => `• Add ${countEn(n, "close-up", "close-ups")} of your face.`,
      profiles: (n: number) => `• Add ${countEn(n, "photo", "photos")} in profile or half-turned.`,
      variety: "• Add photos in different light and places.",
      sunglasses: (n: number) => `• ${countEn(n, "photo has", "photos have")} sunglasses.`,
      marked: (n: number) => `• ${countEn(n, "photo has", "photos have")} other advice: see “🤳 View photos”.`,
    },
    setGood: "The set looks good.",
    fixOrGo: "You can improve the set before training, or go ahead as it is.",
    leastHelpful: (photos: number[]) =>
      `💡 ${photos.length === 1 ? "Photo" : "Photos"} ${new Intl.ListFormat("en", { type: "conjunction" }).format(photos.map(String))} helped the likeness least. If you train again, replace ${photos.length === 1 ? "it" : "them"} with sharp close-ups.`,
  },
  preview: {
    button: "👀 Free preview",
    paidButton: (price: number) => `👀 Preview · ${credits(price)}`,
    choose: (name: string, price: string) =>
      `👀 <b>Preview of avatar ${name}</b>\n\nI will draw you from your best photo, before any training.\n${price}\n\nPick a style:`,
    free: "🎁 It is free: the first preview of each avatar costs nothing.",
    noLongerFree: (price: number) =>
      `The free preview of this avatar is used up; another one costs ${credits(price)}. Pick a style again.`,
    priceChanged: (price: number) => `The price of a preview has changed: now ${credits(price)}. Pick a style again.`,
    starting: "⏳ Making your preview… it takes about a minute.",
    caption: (name: string, preset: string) =>
      `👀 <b>Preview</b> of avatar ${name} · ${preset}\n<i>preview — training gives a closer likeness</i>`,
    running: "Your preview is already being made; it will arrive here shortly.",
    used: "The free preview of this avatar is used up. Train the avatar for pictures that look more like you.",
    failed: (reason: string) => `⚠️ The preview could not be made. ${reason}`,
    nsfw: "🙈 The preview was flagged as not safe for work, so I did not send it. Try another style.",
    noPhoto: "There is no photo to make a preview from. Add photos first.",
  },
  training: {
    title: (name: string) => `🧠 <b>Training avatar ${name}</b>`,
    explain: (count: number) =>
      `The avatar will learn your look from your ${countEn(count, "photo", "photos")}; I will keep you posted here.`,
    priorityLabel: "Priority:",
    priority: { speed: "⚡ Faster · less face detail", balanced: "⚖️ Balanced", quality: "💎 Best likeness · slower" },
    priorityHelp: (portraitMin: number) =>
      `⚡ <b>Faster</b> skips the extra focus on your face.\n⚖️ <b>Balanced</b> focuses on your face at the usual speed.\n💎 <b>Best likeness</b> uses training made for portraits: it takes longer and is used for Character avatars with at least ${countEn(portraitMin, "photo", "photos")}; otherwise it trains like Balanced.`,
    start: "🚀 Start training",
    train: "🚀 Train",
    starting: (name: string) => `⏳ Preparing avatar <b>${name}</b> for training…`,
    queued: (position: number) =>
      position === 0 ? "Waiting to start: you are next in line." : `Waiting to start: ${position + 1} in line.`,
    running: "Training…",
    elapsed: (minutes: number) =>
      `Running for ${minutes === 0 ? "less than a minute" : countEn(minutes, "minute", "minutes")}.`,
    remaining: (minutes: number) => `About ${countEn(minutes, "minute", "minutes")} left.`,
    expected: (minutes: number) => `⏱ Usually takes about ${countEn(minutes, "minute", "minutes")}.`,
    finishingUp: "Finishing up…",
    cancel: "✖️ Cancel training",
    yesCancel: "Yes, cancel",
    keepTraining: "No, keep training",
    cancelled: (name: string) => `Training of avatar <b>${name}</b> cancelled. Your photos are kept.`,
    completed: (name: string, minutes: number) =>
      `🌟 Avatar <b>${name}</b> is trained and ready (it took ${countEn(minutes, "minute", "minutes")}).`,
    generate: "🎨 Create pictures",
    failed: (name: string, reason: string) =>
      `⚠️ Training of avatar <b>${name}</b> did not work out. ${reason}\n\nYour photos are kept. Press “Try again” to train once more.`,
    tryAgain: "🔁 Try again",
    startFailed:
      "⚠️ Training could not be started: preparing your photos for it kept failing on our side. Your photos are safe and the avatar is still ready. Tap “Start training” to try again.",
    submitFailed: (reason: string) =>
      `⚠️ Training could not be started. ${reason}\n\nYour avatar is still ready to train.`,
    notEnough: (missing: number) => `Add ${countEn(missing, "more photo", "more photos")} before training.`,
  },
  reasons: {
    busy: "The picture service is busy or out of reach right now. Try again in a few minutes.",
    rejected:
      "The service could not work with these photos or settings. Try again; if it fails again, replace a few photos with sharp ones showing only you.",
    timed_out: "It took far longer than it ever should, so I stopped waiting. Try again.",
    no_result: "It finished without a usable result. Try again.",
    lost: "The service lost track of this job. Try again.",
    not_configured:
      "This bot is not connected to its picture service yet. Please tell whoever runs the bot; your data is safe.",
    no_model: "This avatar has no trained model. Train it again from “My avatars”.",
    delivery: "The pictures were made, but I could not fetch them. Try again.",
    unknown: "Something went wrong on the service's side. Try again in a few minutes.",
  } satisfies Record<FailureReason, string>,
  generate: {
    menu: (name: string) => `🎨 Avatar <b>${name}</b>: what shall we make?`,
    options: (aspect: string, count: number) => `Shape: ${aspect} · ${countEn(count, "picture", "pictures")} at a time`,
    presets: "Pick a style, or describe your own picture:",
    custom: "✍️ My prompt",
    repeat: "🔁 Repeat",
    gallery: "🏞 My pictures",
    aspectName: {
      "3:4": "Portrait 3:4",
      "9:16": "Stories 9:16",
      "16:9": "Landscape 16:9",
      "1:1": "Square 1:1",
    } satisfies Record<AspectRatio, string>,
    aspect: (shape: string) => `📐 ${shape}`,
    count: (n: number) => `🔢 ${countEn(n, "picture", "pictures")}`,
    askPrompt: (max: number) =>
      `Describe the picture in any language, up to ${countEn(max, "character", "characters")}. I will add your avatar to it myself.`,
    promptEmpty: "The description is empty. Describe the picture in words.",
    promptTooLong: (max: number) =>
      `That description is longer than ${countEn(max, "character", "characters")}. Shorten it and send again.`,
    inGallery: "🏞 Your pictures are ready, but I could not send them here. You will find them under “🏞 My pictures”.",
    alreadyDrawing: "Already drawing these — they will arrive in a moment.",
    working: "🎨 Drawing… this takes about half a minute.",
    busy: (max: number) =>
      `You already have ${countEn(max, "picture", "pictures")} being made, the most at once. Wait for them to arrive, then try again.`,
    notReady: "This avatar is not trained yet. Train it first, then create pictures.",
    moreLikeThis: "✨ More like this",
    anotherStyle: "🎨 Another style",
    back: "⬅️ Back",
    failed: (reason: string) => `⚠️ The picture could not be made. ${reason}`,
    nsfw: "🙈 The result was flagged as not safe for work, so I did not send it. Try a different description or style.",
    deleted: "Deleted.",
    stillMaking: "These pictures are still being made. You can delete them once they are ready.",
  },
  pictures: {
    /** A set's caption: avatar · style or the user's own words · shape. */
    caption: (name: string, style: string, shape: string) => `${name} · ${style} · ${shape}`,
    ownPrompt: (words: string) => `your prompt “${words}”`,
    retiredStyle: "an earlier style",
    shape: {
      "3:4": "portrait 3:4",
      "9:16": "stories 9:16",
      "16:9": "landscape 16:9",
      "1:1": "square 1:1",
    } satisfies Record<AspectRatio, string>,
    made: (count: number, date: string) => `${count} ${count === 1 ? "picture" : "pictures"} · ${date}`,
    header: (name: string) => `🏞 Pictures of <b>${name}</b>, newest first.`,
    empty: (name: string) => `🏞 No pictures of <b>${name}</b> yet. Pick a style to make the first ones.`,
    making: "⏳ Still being made (they will arrive in the chat):",
    allShown: "That is all of them.",
    moreOlder: "Older ones: tap “Older ▶️”.",
    newer: "◀️ Newer",
    older: "Older ▶️",
    sendAgain: "📨 Send again",
    delete: "🗑 Delete",
    confirmDelete: (caption: string, count: number) =>
      `🗑 <b>Delete these pictures?</b>\n${caption}\n${count === 1 ? "The picture" : count === 2 ? "Both pictures" : `All ${count} pictures`} will be deleted for good.`,
    yesDelete: "Yes, delete",
    noKeep: "No, keep",
    deletedSet: (caption: string) => `🗑 Deleted: ${caption}`,
    gone: "These pictures are no longer in your gallery: they were deleted.",
    unavailable: "This picture could not be loaded. You can still delete it or make more like it.",
  },
  credits: {
    buy: "💳 Buy credits",
    notEnough: "💳 Not enough credits.",
    trainingCosts: (price: number, available: number) => `Training costs ${credits(price)} · you have ${available}`,
    picturesCost: (price: number, available: number) =>
      `${price === 0 ? "These pictures are free" : `These pictures cost ${credits(price)}`} · you have ${available}`,
    trainingPrice: (price: number, available: number) => `💳 Training costs ${credits(price)} · you have ${available}.`,
    picturePrice: (each: number, count: number, available: number) =>
      `💳 A picture costs ${credits(each)}${count > 1 ? ` (${each * count} for ${count})` : ""} · you have ${available}.`,
    previewCosts: (price: number, available: number) => `A preview costs ${credits(price)} · you have ${available}`,
    previewPrice: (price: number, available: number) =>
      `💳 A preview costs ${credits(price)} · you have ${available}. It is charged only when the preview arrives.`,
    returned: (n: number) => `💳 ${credits(n)} ${n === 1 ? "is" : "are"} back on your balance.`,
    heldBackReturned: (n: number) =>
      `🙈 Not every picture passed the safety check. Those held back cost nothing: ${credits(n)} ${n === 1 ? "is" : "are"} back on your balance.`,
    fewerReturned: (n: number) =>
      `Fewer pictures came out than you asked for. Those missing cost nothing: ${credits(n)} ${n === 1 ? "is" : "are"} back on your balance.`,
    balance: (available: number) => `💳 <b>Your balance: ${credits(available)}</b>`,
    reserved: (n: number) => `Held for work in progress: ${credits(n)}.`,
    prices: (training: number, picture: number) =>
      `Prices: a training from ${credits(training)}, a picture ${credits(picture)}.`,
    recent: "<b>Recent</b>",
    none: "Nothing yet.",
    welcome: (n: number) => `+${n} welcome gift`,
    granted: (n: number) => `+${n} granted`,
    bought: (n: number) => `+${n} bought`,
    refunded: (n: number) => `−${n} refunded in Stars`,
    training: (n: number, name: string | null) => `−${n} ${trainingOf(name)}`,
    pictures: (n: number, name: string | null) => `−${n} for ${picturesOf(name)}`,
    returnedTraining: (n: number, name: string | null, how: "failed" | "cancelled" | "notStarted") =>
      `+${n} returned: ${trainingOf(name)} ${{ failed: "failed", cancelled: "cancelled", notStarted: "did not start" }[how]}`,
    returnedPictures: (n: number, name: string | null, how: "failed" | "heldBack") =>
      `+${n} returned: ${picturesOf(name)} ${{ failed: "failed", heldBack: "held back" }[how]}`,
    preview: (n: number, name: string | null) => `−${n} ${previewOf(name)}`,
    returnedPreview: (n: number, name: string | null, how: "failed" | "heldBack") =>
      `+${n} returned: ${previewOf(name)} ${{ failed: "failed", heldBack: "held back" }[how]}`,
    grantUsage:
      "Usage: /grant &lt;user id&gt; &lt;credits&gt;, for example <code>/grant 123456789 300</code>. Credits are a whole number from 1 to 1000000.",
    grantDone: (n: number, userId: number, balance: number) =>
      `✅ Granted ${credits(n)} to ${userId}. Their balance: ${credits(balance)}.`,
    grantedBefore: (userId: number, balance: number) =>
      `This grant was already made. The balance of ${userId}: ${credits(balance)}.`,
  },
  privacy: {
    text: (keep: Retention) => `<b>Your data</b>

<b>What is stored</b>
• Your Telegram id, name, username and language.
• Your avatars: name, type, settings and status.
• Your photos: the originals as you sent them, a small thumbnail and a training crop of each.
• Training archives (the crops packed for training) and the link to your trained model.
• Pictures created for you, with their descriptions.

<b>Where</b>
In this bot's own database and file storage. To check faces, train your avatar and create pictures, your photos are sent to the AI image service the bot works with.

<b>For how long</b>
• Until you delete them, except as follows.
• Unfinished avatars (drafts, avatars still at “Collecting photos”, and those whose creation was cancelled): deleted with their photos ${duration("en", keep.abandonedSeconds)} after their last change (a setup step, a photo added or deleted).
• Training archives: deleted ${duration("en", keep.archiveSeconds)} after they are made.${
      keep.picturesSeconds === undefined
        ? ""
        : `\n• Generated pictures: deleted ${duration("en", keep.picturesSeconds)} after they are made.`
    }

<b>How to delete</b>
Delete one avatar from “My avatars”, or everything with /deletemydata.`,
  },
  deleteData: {
    confirm: (avatars: number, photos: number, pictures: number) =>
      `This deletes <b>everything</b> the bot keeps about you: ${countEn(avatars, "avatar", "avatars")}, ${countEn(photos, "photo", "photos")}, ${countEn(pictures, "set of created pictures", "sets of created pictures")}, training archives, the links to your trained models and to the jobs run for you, and your profile. It cannot be undone. Your credits and their history stay, as the record of what was paid.`,
    yes: "Yes, delete everything",
    no: "No, keep my data",
    done: "All your data has been deleted. Send /start whenever you want to begin again.",
    kept: "Nothing was deleted.",
  },
  flow: {
    trainAgain: "🚀 Train again",
    stepBack: "⬅️ Back",
    trainingCancelledStatus: "🚫 Training cancelled",
    typeByButtons: "☝️ Choose the avatar's type with the buttons below.",
    genderByButtons: "☝️ Choose the gender with the buttons below.",
    nameAsText: "☝️ Send the avatar's name as a text message.",
    photoBeforeName:
      "📷 Send the avatar's name first: the avatar does not exist until it has one. I did not keep this photo; send it again after the name.",
    photoTooEarly:
      "📷 Photos come after step 3, once the avatar has a name. I did not keep this photo; send it again then.",
    collecting: (name: string) =>
      `📤 I am collecting photos for the avatar “${name}”. Send them as photos or as JPEG, PNG or WEBP files; an album works too. Text, stickers and voice messages are not used. When there are enough, press “Done”.`,
    photoNoAvatar:
      "📷 No avatar is collecting photos right now, so I did not keep this one. Create an avatar first (type, gender, name), then send your photos.",
    photoContinue: (name: string) =>
      `📷 No avatar is collecting photos right now, so I did not keep this one. To add photos to the avatar “${name}”, press “Continue uploading” and send them again.`,
    promptAsText: "✍️ Describe the picture in words, as a text message.",
    promptCancelled: "Your own prompt is cancelled; no picture was ordered.",
    uploadPaused: (keepSeconds: number) =>
      `Photo upload paused. An unfinished avatar is kept for ${duration("en", keepSeconds)} after its last change; continue any time before then from “My avatars”.`,
    confirmCancelTraining: (name: string) =>
      `The avatar “${name}” is training. Cancel this training? The photos stay; you can train again later.`,
    whichTraining: "Several avatars are training. Which training should I cancel?",
    notCancelled: {
      COMPLETED: (name: string) =>
        `The training of “${name}” has already finished: the avatar is ready. Nothing was cancelled.`,
      ERROR: (name: string) => `The training of “${name}” has already ended with an error. Nothing was cancelled.`,
      CANCELLED: (name: string) => `The training of “${name}” has already been cancelled.`,
      other: (name: string) => `The avatar “${name}” is not training now. Nothing was cancelled.`,
    },
    avatarAlreadyDeleted: "This avatar has already been deleted.",
    photoAlreadyDeleted: "This photo has already been deleted.",
    alreadyCreated: "This avatar has already been created, so nothing was cancelled.",
    alreadyCancelled: "Creating this avatar has already been cancelled.",
    movedBelow: "⬇️ Continued below.",
  },
  payments: {
    packagesTitle: (available: number) =>
      `<b>Buy credits</b>\n\nCredits pay for trainings and pictures in this bot. You have <b>${countEn(available, "credit", "credits")}</b>.\n\nChoose a package; you pay in Telegram Stars ⭐. Terms: /terms`,
    packageButton: (credits: number, stars: number) => `${countEn(credits, "credit", "credits")} · ${stars} ⭐`,
    packageGone: "This package is no longer sold. Here are the current ones.",
    /** The invoice, plain text: its title (1–32 characters) and description (1–255). */
    invoiceTitle: (credits: number) => countEn(credits, "credit", "credits"),
    invoiceDescription: (credits: number) =>
      `${countEn(credits, "credit", "credits")} for trainings and pictures in Avatar Studio. Terms: /terms`,
    priceLabel: (credits: number) => countEn(credits, "credit", "credits"),
    /** Shown by Telegram on the payment sheet, plain text. */
    refusedStale:
      "This package has changed since the invoice was sent, and no Stars were taken. Send /buy for the current packages.",
    refusedNotYours: "This invoice was made for someone else, and no Stars were taken. Send /buy to get your own.",
    receipt: (credits: number, stars: number, balance: number, chargeId: string) =>
      `✅ <b>Payment received</b>\n\n+${countEn(credits, "credit", "credits")} for ${stars} ⭐.\nYour balance: <b>${countEn(balance, "credit", "credits")}</b>.\n\nIf you ever need help with this payment, send /paysupport and quote its reference:\n<code>${chargeId}</code>`,
    receiptUnknown: (stars: number, chargeId: string) =>
      `Your payment of ${stars} ⭐ arrived, but I could not tell which package it was for. Send /paysupport and quote this reference; it will be put right:\n<code>${chargeId}</code>`,
    refundedToUser: (credits: number, stars: number, balance: number) =>
      `↩️ <b>Payment refunded</b>\n\n${stars} ⭐ are back in your Telegram account, and ${countEn(credits, "credit", "credits")} came off your balance. Your balance: <b>${countEn(balance, "credit", "credits")}</b>.`,
    terms: (packages: string) =>
      `<b>Terms of sale</b>\n\n<b>What you buy.</b> Credits: the bot's own units that pay for training your avatars and for creating pictures in this bot, and in no other. Packages now on sale:\n${packages}\n\n<b>How you pay.</b> In Telegram Stars, through Telegram. The credits are added as soon as Telegram confirms the payment, and you get a receipt in this chat.\n\n<b>Refunds.</b> A purchase can be refunded in Stars while its credits are still unspent; credits already used for trainings or pictures cannot be returned. To ask for a refund, send /paysupport.\n\n<b>Questions.</b> /paysupport`,
    termsPackage: (credits: number, stars: number) => `• ${countEn(credits, "credit", "credits")} for ${stars} ⭐`,
    paySupport: (contact: string | null) =>
      `<b>Help with payments</b>\n\n${contact === null ? "Write your question in this chat, with the payment reference from your receipt: the bot's administrators read it and answer here." : `Write to ${contact} and quote the payment reference from your receipt.`}\n\nRefunds are made in Stars for purchases whose credits are still unspent; see /terms.`,
    refundUsage:
      "Send /refund followed by the payment reference from the receipt, for example:\n<code>/refund stxAbC123</code>",
    refundUnknown: (chargeId: string) =>
      `No purchase has the reference <code>${chargeId}</code>. Check it against the user's receipt.`,
    refundAlready: (chargeId: string) =>
      `The payment <code>${chargeId}</code> has already been refunded. Nothing was changed.`,
    refundRefusedBefore: (chargeId: string) =>
      `Telegram refused to refund <code>${chargeId}</code> before, and its credits were put back then. Nothing was changed.`,
    refundSpent: (credits: number, available: number) =>
      `This refund is not possible: the purchase added ${countEn(credits, "credit", "credits")}, and the user has only ${countEn(available, "credit", "credits")} left (the rest is spent, or held for work in progress). Nothing was changed and no Stars were returned.`,
    refundDone: (stars: number, credits: number, userId: number, balance: number) =>
      `↩️ Refunded ${stars} ⭐ to user ${userId}. ${countEn(credits, "credit", "credits")} came off their balance, which is now ${countEn(balance, "credit", "credits")}. They have been told.`,
    refundAlreadyAtTelegram:
      "Telegram says these Stars had already been returned to the user, so the credits have now come off their balance too.",
    refundRefused: (description: string) =>
      `Telegram refused the refund: ${description}. The credits are back on the user's balance, so nothing changed.`,
    refundUnsettled:
      "Telegram did not answer, so it is not known yet whether the Stars went back. The credits stay off the balance until that is settled: send the same /refund again in a minute.",
  },
  access: {
    refused:
      "🔒 Sorry, this bot is open only to invited testers for now. If you know who runs it, ask them to let you in.",
    refusedShort: "🔒 Sorry, this bot is open only to invited testers for now.",
    refusedKnown:
      "🔒 Your access to this bot has been closed. What it keeps about you is still here: /privacy tells you what that is, and /deletemydata deletes it.",
    usage: (command: string) =>
      `Send the person's Telegram user id (digits only) with the command, for example: /${command} 123456789`,
    allowed: (id: number) => `✅ User ${id} can use the bot from their next message.`,
    alreadyAllowed: (id: number) => `User ${id} could already use the bot; nothing changed.`,
    openAnyway:
      "The bot is open to everyone now (ACCESS_MODE=open); this rule keeps them in if you switch to allowlist.",
    denied: (id: number) =>
      `⛔ User ${id} can no longer use the bot, from their next message. Their data is kept: they can still see it with /privacy and delete it with /deletemydata, and whatever was already running for them finishes.`,
    alreadyDenied: (id: number) => `User ${id} was already shut out; nothing changed.`,
    adminAlways: (id: number) =>
      `User ${id} is an administrator (ADMIN_USER_IDS) and always has access; nothing changed.`,
  },
  limits: {
    training: (max: number, waitMs: number) =>
      `⏳ A training can be started ${timesEn(max)} in 24 hours, and you have reached that. You can start another training in ${waitTime("en", waitMs)}.`,
    generation: (max: number, waitMs: number) =>
      `⏳ Pictures can be ordered ${timesEn(max)} an hour, and you have reached that. You can order more in ${waitTime("en", waitMs)}.`,
  },
  errors: {
    notFound: "This avatar no longer exists. Open “My avatars” for the current list.",
    stale: "This button is out of date. Use the latest message, or /start.",
    busyTraining: "This avatar is training right now. Wait for training to finish, then try again.",
    generic: "Something went wrong on our side. Please try again in a minute; if it keeps happening, send /start.",
    unknownInput:
      "I can only read button presses and commands here. Choose what to do below, or send /help to see how it all works.",
    nothingToCancel: "There is nothing running to cancel. Here is the menu.",
  },
  /** The bot's profile in Telegram, plain text: `description` fills the empty chat ("What can this bot do?"), `short` its page. */
  profile: {
    description:
      "I turn your photos into a personal AI avatar.\n\nSend me 5 to 50 photos of yourself. I learn your face from them, and then I draw you in any style: a studio portrait, a film still, anime, an oil painting and more.\n\nPress Start to begin.",
    short: "Your personal AI avatar: send a few photos, get portraits of yourself in any style.",
  },
};

export type Messages = typeof en;

/** How long what is not deleted by the user is kept, in seconds (the retention settings). */
export interface Retention {
  abandonedSeconds: number;
  archiveSeconds: number;
  /** Unset keeps generated pictures until the user deletes them. */
  picturesSeconds: number | undefined;
}

function credits(n: number): string {
  return countEn(n, "credit", "credits");
}

function trainingOf(name: string | null): string {
  return name === null ? "training of a deleted avatar" : `training «${name}»`;
}

function picturesOf(name: string | null): string {
  return name === null ? "deleted pictures" : `pictures «${name}»`;
}

function previewOf(name: string | null): string {
  return name === null ? "preview of a deleted avatar" : `preview «${name}»`;
}

/** "once", "twice", "3 times": how often something may happen. */
function timesEn(n: number): string {
  return n === 1 ? "once" : n === 2 ? "twice" : `${n} times`;
}
