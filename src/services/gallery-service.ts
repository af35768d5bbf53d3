import type { Generation } from "../domain/entities";
import { DomainError } from "../domain/errors";
import type { ObjectStorage } from "../domain/object-storage";
import type { Page, Repository } from "../domain/repository";

/** The pictures a user has made: the gallery's pages, one generation, and deleting one. */
export class GalleryService {
  constructor(
    private readonly repo: Repository,
    private readonly storage: ObjectStorage,
  ) {}

  /** A generation of the user's own; anything else reads as a missing avatar. */
  async getOwned(generationId: string, userId: string): Promise<Generation> {
    const generation = await this.repo.findGeneration(generationId);
    if (!generation || generation.userId !== userId) throw new DomainError("avatar_not_found", "generation not found");
    return generation;
  }

  /** The avatar's succeeded generations, newest first. */
  async list(avatarId: string, offset: number, limit: number): Promise<Page<Generation>> {
    return this.repo.listGenerations(avatarId, offset, limit);
  }

  /** Removes the pictures, then the row: a failure part-way leaves the row, so it can be deleted again. */
  async delete(generation: Generation): Promise<void> {
    if (generation.resultKeys.length > 0) await this.storage.delete(generation.resultKeys);
    await this.repo.deleteGeneration(generation.id);
  }
}
