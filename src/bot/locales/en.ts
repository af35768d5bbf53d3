import type { AvatarGender, AvatarStatus, AvatarType } from "../../domain/avatar";
import type { AspectRatio } from "../../domain/entities";

/** English texts. Every string is HTML; values that users typed arrive here already escaped. */
export const en = {
  menu: {
    greeting: (name: string) =>
      `Hi, ${name}! 👋\n\nI turn your photos into a personal AI avatar. Send me 5–50 photos of yourself, I train a model on them, and then I can draw you in any style.\n\nWhat would you like to do?`,
    title: "Main menu. What would you like to do?",
    myAvatars: "🗂 My avatars",
    create: "➕ Create avatar",
    help: "❓ Help",
    language: "🌐 Language",
    back: "⬅️ Menu",
  },
  help: {
    text: (min: number, max: number) =>
      `<b>How it works</b>\n\n1. <b>Create an avatar</b>: pick its type and gender and give it a name.\n2. <b>Send ${min}–${max} photos</b> of yourself: sharp, well lit, one face per photo, different angles and backgrounds.\n3. <b>Train</b> a personal model (it takes a few minutes).\n4. <b>Generate</b> new pictures from presets or your own words.\n\n<b>Commands</b>\n/start: main menu\n/help: this help\n/cancel: stop what you are doing`,
  },
  language: {
    choose: "Choose your language:",
    changed: "Language set to English.",
  },
  wizard: {
    chooseType: "<b>Step 1 of 3: avatar type</b>\n\nWhat should the avatar capture?",
    typeHelp:
      "👤 <b>Character</b>: you as a person, your face and look.\n🎨 <b>Style</b>: a visual style to repeat in new pictures.\n🛠 <b>Custom</b>: anything else, trained with neutral settings.",
    chooseGender: "<b>Step 2 of 3: gender</b>\n\nThis helps the model describe the person correctly.",
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
    photosIntro: (name: string, min: number, max: number, maxMb: number, minPx: number) =>
      `✅ Avatar <b>${name}</b> created.\n\nNow send <b>${min} to ${max} photos</b> of yourself:\n• sharp and well lit, one face per photo;\n• different angles, expressions and backgrounds;\n• as ordinary photos, or as files to keep the originals (JPEG, PNG or WEBP, up to ${maxMb} MB, at least ${minPx} px on the shorter side).\n\nYou can send several at once as an album.`,
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
    READY_FOR_TRAINING: "✅ Ready for training",
    TRAINING: "⏳ Training",
    COMPLETED: "🌟 Ready",
    ERROR: "⚠️ Error",
    CANCELLED: "🚫 Cancelled",
  } satisfies Record<AvatarStatus, string>,
  avatars: {
    title: (total: number, page: number, pages: number) =>
      `<b>Your avatars</b> (${total})${pages > 1 ? `, page ${page} of ${pages}` : ""}`,
    empty: "You have no avatars yet. Create your first one!",
    untitled: "Untitled",
    photos: (count: number, max: number) => `photos: ${count}/${max}`,
    training: (progress: number) => `training: ${progress}%`,
    created: (date: string) => `created ${date}`,
    card: (name: string, status: string, type: string, photos: string, created: string) =>
      `<b>${name}</b>\n${status}\nType: ${type}\n${photos}\n${created}`,
    prev: "◀️",
    next: "▶️",
    backToList: "⬅️ My avatars",
    continueSetup: "📝 Continue setup",
    continueUpload: "📤 Continue uploading",
    delete: "🗑 Delete",
    confirmDelete: (name: string) =>
      `Delete <b>${name}</b>? Its photos and everything made from them will be removed. This cannot be undone.`,
    yesDelete: "Yes, delete",
    noKeep: "No, keep it",
    deleted: "Avatar deleted.",
  },
  photos: {
    progress: (name: string, count: number, max: number) => `📸 <b>${name}</b>: ${count} of ${max} photos`,
    needMore: (missing: number, min: number) => `Send ${missing} more to reach the minimum of ${min}.`,
    enough: (max: number) => `Enough for training. Press <b>Done</b>, or keep adding photos (up to ${max}).`,
    full: "The avatar is full. Press <b>Done</b>, or delete some photos to make room.",
    refusedTitle: "Not accepted:",
    notesTitle: "Good to know:",
    processing: (n: number) => `⏳ Checking ${n} more…`,
    awaitingFaceCheck: (n: number) => `⏳ ${n} photo(s) wait for the face check; I will check again in a few minutes.`,
    barTowards: (count: number, min: number) => `${count} of ${min} needed for training`,
    barEnough: "enough for training",
    photosLabel: (items: string[]) => `Photos ${new Intl.ListFormat("en", { type: "conjunction" }).format(items)}`,
    moreLabels: (n: number) => `${n} more`,
    statusMoved: "⬇️ The upload status has moved to the bottom of the chat.",
    photoLabel: (n: number) => `Photo ${n}`,
    andMore: (n: number) => `…and ${n} more`,
    refusal: {
      too_big: (max: number) => `larger than ${max} MB. Send a smaller file, or send it as a photo instead of a file.`,
      wrong_format: (format: string) => `${format} is not supported. Send JPEG, PNG or WEBP.`,
      too_small: (w: number, h: number, min: number) =>
        `${w}×${h} is too small. Send a photo at least ${min} px on the shorter side.`,
      too_large: (w: number, h: number, max: number) =>
        `${w}×${h} is too large. Send a photo at most ${max} px on the longer side.`,
      unreadable: "the file is damaged or not a readable image. Send the photo again or choose another.",
      too_complex: "this WEBP is too large for us to process. Send it as a photo, or as JPEG or PNG.",
      no_face: "no face found. Send a photo where your face is clearly visible.",
      many_faces: "more than one face. Send a photo with only you in it.",
      duplicate: "already uploaded to this avatar. Send a different photo.",
      full: (max: number) => `the avatar already has ${max} photos. Delete some to add new ones.`,
      not_uploading: "this avatar is no longer collecting photos.",
      failed: "we could not save it. Please send this photo again.",
    },
    alsoIn: (label: string, name: string) => `${label} is also in your avatar “${name}”; added here too.`,
    done: "✅ Done",
    doneNeedMore: (missing: number) => `Done (${missing} more needed)`,
    view: "🤳 View photos",
    notUploading: "To add photos, open “My avatars”, choose an avatar and press “Continue uploading”.",
    needMoreAlert: (missing: number, min: number) => `Add ${missing} more photo(s) first: at least ${min} are needed.`,
    stillChecking: "Still checking your latest photos. Try again in a few seconds.",
    ready: (name: string, count: number) => `✅ <b>${name}</b> is ready for training with ${count} photos.`,
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
  training: {
    title: (name: string) => `🧠 <b>Train ${name}</b>`,
    explain: (count: number, trigger: string) =>
      `I will train a personal model on your ${count} photos. It usually takes a few minutes; I will keep you posted here.\n\nTrigger word: <code>${trigger}</code>: it names you in prompts.`,
    priorityLabel: "Priority:",
    priority: { speed: "⚡ Speed", balanced: "⚖️ Balanced", quality: "💎 Quality" },
    iterations: (n: number) => `🔁 Steps: ${n}`,
    trainer: (endpoint: string) => `Trainer: ${endpoint}`,
    start: "🚀 Start training",
    train: "🚀 Train",
    starting: (name: string) => `⏳ Preparing <b>${name}</b> for training…`,
    queued: (position: number) => `In fal's queue, position ${position + 1}.`,
    running: "Training…",
    elapsed: (minutes: number) => `Elapsed: ${minutes} min.`,
    remaining: (minutes: number) => `About ${minutes} min left.`,
    usually: "Training usually takes 5–20 minutes.",
    expected: (minutes: number) => `⏱ Usually takes about ${minutes} min.`,
    finishingUp: "Finishing up…",
    cancel: "✖️ Cancel training",
    confirmCancel: "Cancel this training? The photos stay; you can train again later.",
    yesCancel: "Yes, cancel",
    keepTraining: "No, keep training",
    cancelled: (name: string) => `Training of <b>${name}</b> cancelled. Your photos are kept.`,
    completed: (name: string, minutes: number) => `🌟 <b>${name}</b> is trained and ready (${minutes} min).`,
    generate: "🎨 Generate",
    failed: (name: string, reason: string) =>
      `⚠️ Training of <b>${name}</b> failed: ${reason}\n\nYour photos are kept. Press “Try again” to train once more.`,
    tryAgain: "🔁 Try again",
    startFailed:
      "⚠️ Training could not be started: preparing your photos for it kept failing on our side. Your photos are safe and the avatar is still ready. Tap “Start training” to try again.",
    submitFailed: (reason: string) =>
      `⚠️ fal did not accept the training (${reason}). Your avatar is still ready; try again in a few minutes.`,
    notEnough: (missing: number) => `Add ${missing} more photo(s) before training.`,
    stuck: "it took far longer than training ever should, so I stopped waiting",
    noLora: "fal finished without producing a model file",
  },
  generate: {
    menu: (name: string) => `🎨 <b>${name}</b>: what shall we make?`,
    options: (aspect: string, count: number) => `Format ${aspect} · ${count} image(s)`,
    presets: "Pick a style, or write your own prompt:",
    custom: "✍️ My prompt",
    repeat: "🔁 Repeat",
    gallery: "🏞 My pictures",
    aspect: (aspect: string) => `📐 ${aspect}`,
    count: (n: number) => `🔢 ×${n}`,
    askPrompt: (max: number) =>
      `Describe the picture in any language, up to ${max} characters. I will add your trigger word.`,
    promptEmpty: "The prompt is empty. Describe the picture in words.",
    promptTooLong: (max: number) => `That prompt is longer than ${max} characters. Shorten it and send again.`,
    inGallery: "🏞 Your pictures are ready, but I could not send them here. You will find them under “🏞 My pictures”.",
    alreadyDrawing: "Already drawing these — they will arrive in a moment.",
    working: "🎨 Drawing… this takes about half a minute.",
    busy: (max: number) => `You already have ${max} pictures being made. Wait for them to arrive, then try again.`,
    notReady: "This avatar is not trained yet. Train it first, then generate.",
    moreLikeThis: "✨ More like this",
    anotherStyle: "🎨 Another style",
    back: "⬅️ Back",
    failed: (reason: string) => `⚠️ The picture could not be made: ${reason}. Please try again.`,
    timedOut: "it took too long",
    nsfw: "🙈 The result was flagged as not safe for work, so I did not send it. Try a different prompt or style.",
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
  privacy: {
    text: (keep: Retention) => `<b>Your data</b>

<b>What is stored</b>
• Your Telegram id, name, username and language.
• Your avatars: name, type, settings and status.
• Your photos: the originals as you sent them, a small thumbnail and a training crop of each.
• Training archives (the crops zipped for fal.ai) and the link to your trained model.
• Pictures generated for you, with their prompts.

<b>Where</b>
In this bot's database and file storage (Cloudflare D1 and R2, or the operator's own PostgreSQL and S3). Photos are sent to fal.ai to check faces, to train your model and to generate pictures.

<b>For how long</b>
• Until you delete them, except as follows.
• Unfinished avatars (drafts, avatars still at “Collecting photos”, and those whose creation was cancelled): deleted with their photos ${duration(keep.abandonedSeconds)} after their last change (a setup step, a photo added or deleted).
• Training archives: deleted ${duration(keep.archiveSeconds)} after they are made.${
      keep.picturesSeconds === undefined
        ? ""
        : `\n• Generated pictures: deleted ${duration(keep.picturesSeconds)} after they are made.`
    }

<b>How to delete</b>
Delete one avatar from “My avatars”, or everything with /deletemydata.`,
  },
  deleteData: {
    confirm: (avatars: number, photos: number, pictures: number) =>
      `This deletes <b>everything</b> the bot keeps about you: ${avatars} avatar(s), ${photos} photo(s), ${pictures} generated picture set(s), training archives, the links to your trained models and to your fal.ai jobs, and your profile. It cannot be undone.`,
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
      `Photo upload paused. An unfinished avatar is kept for ${duration(keepSeconds)} after its last change; continue any time before then from “My avatars”.`,
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
  errors: {
    notFound: "This avatar no longer exists. Open “My avatars” for the current list.",
    stale: "This button is out of date. Use the latest message, or /start.",
    busyTraining: "This avatar is training right now. Wait for training to finish, then try again.",
    generic: "Something went wrong on our side. Please try again in a minute; if it keeps happening, send /start.",
    unknownInput: "I didn't understand that. Use the buttons below, or /help.",
    nothingToCancel: "There is nothing to cancel. Here is the menu.",
    uploadStopped: "Photo upload paused. Your avatar is saved; continue any time from “My avatars”.",
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

/** "7 days", "1 hour", "90 minutes": the largest unit that states the time exactly. */
function duration(seconds: number): string {
  const [n, unit] =
    seconds % 86400 === 0
      ? [seconds / 86400, "day"]
      : seconds % 3600 === 0
        ? [seconds / 3600, "hour"]
        : [Math.max(1, Math.round(seconds / 60)), "minute"];
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}
