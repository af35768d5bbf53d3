import type { AvatarSettings } from "../config/settings";
import { type AvatarGender, type AvatarStatus, type AvatarType, falModeFor } from "../domain/avatar";
import { applyTransition, canTrainAgain } from "../domain/avatar-lifecycle";
import { parseAvatarName } from "../domain/avatar-name";
import type { Avatar, AvatarPhoto, PictureOptions } from "../domain/entities";
import { DomainError } from "../domain/errors";
import { deletePrefix, type ObjectStorage } from "../domain/object-storage";
import type { AvatarPatch, Page, Repository } from "../domain/repository";
import { avatarPrefix } from "../domain/storage-keys";
import { log } from "../log";

export const AVATARS_PAGE_SIZE = 5;

const TRIGGER_ALPHABET = "bcdfghjkmnpqrstvwxz";

/** A rare token the LoRA learns the person by; unique per avatar (the column is unique too). */
export function generateTriggerWord(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(7));
  return `ohx${Array.from(bytes, (b) => TRIGGER_ALPHABET[b % TRIGGER_ALPHABET.length]).join("")}`;
}

/** The spec's AvatarService: creation wizard, lifecycle moves, lists and deletion. */
export class AvatarService {
  constructor(
    private readonly repo: Repository,
    private readonly storage: ObjectStorage,
    private readonly settings: AvatarSettings,
    private readonly now: () => Date = () => new Date(),
    /** Stops the avatar's queued photo work before its files and rows go. */
    private readonly discardQueue: (avatarId: string) => Promise<void> = async () => undefined,
  ) {}

  async startCreation(userId: string): Promise<Avatar> {
    const avatar = await this.repo.insertAvatar(
      {
        id: crypto.randomUUID(),
        userId,
        triggerWord: generateTriggerWord(),
        falIterations: this.settings.DEFAULT_ITERATIONS,
        falPriority: this.settings.DEFAULT_PRIORITY,
        loraRank: this.settings.DEFAULT_LORA_RANK,
      },
      this.now(),
    );
    log("info", "avatar_created", { userId, avatarId: avatar.id });
    return avatar;
  }

  /** The avatar when it exists and belongs to the user; a foreign id is reported exactly like a missing one. */
  async getOwned(avatarId: string, userId: string): Promise<Avatar> {
    const avatar = await this.repo.findAvatar(avatarId);
    if (!avatar || avatar.userId !== userId) throw new DomainError("avatar_not_found", `Avatar ${avatarId} not found`);
    return avatar;
  }

  async setType(avatarId: string, userId: string, type: AvatarType): Promise<Avatar> {
    return this.patchDraft(avatarId, userId, { avatarType: type, falMode: falModeFor(type) });
  }

  async setGender(avatarId: string, userId: string, gender: AvatarGender): Promise<Avatar> {
    return this.patchDraft(avatarId, userId, { gender });
  }

  /** Names the avatar and opens it for photos (DRAFT → PHOTOS_UPLOADING). */
  async finalizeCreation(avatarId: string, userId: string, rawName: string): Promise<Avatar> {
    const parsed = parseAvatarName(rawName);
    if (!parsed.ok) throw new DomainError("invalid_name", parsed.reason);
    const avatar = await this.getOwned(avatarId, userId);
    if (!avatar.avatarType || !avatar.gender) throw new DomainError("stale_action", "type and gender come first");
    return this.transition(avatar, "PHOTOS_UPLOADING", { name: parsed.name });
  }

  /** The wizard's cancel: DRAFT → CANCELLED. */
  async cancelCreation(avatarId: string, userId: string): Promise<Avatar> {
    const avatar = await this.getOwned(avatarId, userId);
    return this.transition(avatar, "CANCELLED");
  }

  /** "Train again" after a failed or cancelled training: the same photos, back to READY_FOR_TRAINING. */
  async trainAgain(avatar: Avatar): Promise<Avatar> {
    if (!canTrainAgain(avatar)) throw new DomainError("stale_action", `Avatar ${avatar.id} is ${avatar.status}`);
    return this.transition(avatar, "READY_FOR_TRAINING", { trainingError: null, trainingProgress: 0 });
  }

  /** The user's avatars at `status`, the most recently changed first (for /cancel and stray photos). */
  async withStatus(userId: string, status: AvatarStatus): Promise<Avatar[]> {
    const all = await this.repo.listUserAvatars(userId);
    return all.filter((a) => a.status === status).sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime());
  }

  /** Moves the avatar through the lifecycle table, guarded against a concurrent change of status. */
  async transition(avatar: Avatar, to: AvatarStatus, patch: Omit<AvatarPatch, "status"> = {}): Promise<Avatar> {
    applyTransition(avatar.status, to);
    const changed = await this.repo.updateAvatarIf(avatar.id, avatar.status, { ...patch, status: to }, this.now());
    if (!changed) throw new DomainError("stale_action", `Avatar ${avatar.id} changed meanwhile`);
    log("info", "avatar_status_changed", { avatarId: avatar.id, userId: avatar.userId, from: avatar.status, to });
    return { ...avatar, ...patch, status: to };
  }

  async listForUser(userId: string, page: number): Promise<Page<Avatar> & { page: number; pages: number }> {
    const first = await this.repo.listAvatars(userId, Math.max(0, page) * AVATARS_PAGE_SIZE, AVATARS_PAGE_SIZE);
    const pages = Math.max(1, Math.ceil(first.total / AVATARS_PAGE_SIZE));
    if (page < pages) return { ...first, page: Math.max(0, page), pages };
    // The list shrank since the button was drawn: show its last page instead.
    const last = pages - 1;
    const again = await this.repo.listAvatars(userId, last * AVATARS_PAGE_SIZE, AVATARS_PAGE_SIZE);
    return { ...again, page: last, pages };
  }

  /** Removes the avatar's stored files, then its rows; a failure part-way leaves it deletable again. */
  async deleteAvatar(avatarId: string, userId: string): Promise<void> {
    const avatar = await this.getOwned(avatarId, userId);
    if (avatar.status === "TRAINING") throw new DomainError("avatar_busy", "training in progress");
    await this.discardQueue(avatarId);
    const removedObjects = await deletePrefix(this.storage, avatarPrefix(userId, avatarId));
    await this.repo.deleteAvatar(avatarId);
    log("info", "avatar_deleted", { avatarId, userId, removedObjects });
  }

  /** A stored object of the avatar (thumbnails for the photo viewer); a missing one reads as a missing avatar. */
  async readObject(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> }> {
    const object = await this.storage.get(key);
    if (!object) throw new DomainError("avatar_not_found", `object ${key} is missing`);
    return object;
  }

  /** The user's avatar while it is still a draft; null for anything else. */
  async findDraft(avatarId: string, userId: string): Promise<Avatar | null> {
    const avatar = await this.repo.findAvatar(avatarId);
    return avatar && avatar.userId === userId && avatar.status === "DRAFT" ? avatar : null;
  }

  /** The training screen's choices, kept while the avatar waits to be trained (after that they change nothing). */
  async setTrainingOptions(avatar: Avatar, patch: Pick<AvatarPatch, "falPriority" | "falIterations">): Promise<Avatar> {
    await this.repo.updateAvatarIf(avatar.id, "READY_FOR_TRAINING", patch, this.now());
    return { ...avatar, ...patch };
  }

  /** The generation menu's choices, kept with the avatar for its next visit. */
  async savePictureOptions(avatar: Avatar, options: PictureOptions): Promise<Avatar> {
    const avatarData = { ...avatar.avatarData, genOptions: options };
    await this.repo.setAvatarData(avatar.id, avatarData, this.now());
    return { ...avatar, avatarData };
  }

  /** A photo of the user's own; anything else reads as a missing avatar. */
  async getOwnedPhoto(photoId: string, userId: string): Promise<AvatarPhoto> {
    const photo = await this.repo.findPhoto(photoId);
    if (!photo || photo.userId !== userId) throw new DomainError("avatar_not_found", `photo ${photoId} not found`);
    return photo;
  }

  /** The avatar's photos in upload order. */
  async listPhotos(avatarId: string, offset: number, limit: number): Promise<Page<AvatarPhoto>> {
    return this.repo.listPhotos(avatarId, offset, limit);
  }

  private async patchDraft(avatarId: string, userId: string, patch: AvatarPatch): Promise<Avatar> {
    const avatar = await this.getOwned(avatarId, userId);
    if (avatar.status !== "DRAFT") throw new DomainError("stale_action", `Avatar ${avatarId} is ${avatar.status}`);
    const changed = await this.repo.updateAvatarIf(avatarId, "DRAFT", patch, this.now());
    if (!changed) throw new DomainError("stale_action", `Avatar ${avatarId} changed meanwhile`);
    return { ...avatar, ...patch };
  }
}
