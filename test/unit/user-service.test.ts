import { describe, expect, it } from "vitest";
import type { User } from "../../src/domain/entities";
import type { Repository, TelegramProfile } from "../../src/domain/repository";
import { UserService } from "../../src/services/user-service";

/** A repository that only records users, counting the writes. */
function usersOnly() {
  const writes: string[] = [];
  let row: User | undefined;
  const repo = {
    async upsertUser(profile: TelegramProfile, now: Date): Promise<User> {
      writes.push("upsert");
      row = {
        id: row?.id ?? crypto.randomUUID(),
        telegramId: profile.telegramId,
        firstName: profile.firstName,
        lastName: profile.lastName,
        username: profile.username,
        languageCode: row?.languageCode ?? profile.languageCode,
        createdAt: row?.createdAt ?? now,
        lastSeenAt: now,
      };
      return row;
    },
    async setUserLanguage(_: string, language: User["languageCode"]): Promise<void> {
      writes.push("language");
      if (row) row = { ...row, languageCode: language };
    },
  };
  return { repo: repo as unknown as Repository, writes };
}

const anna: TelegramProfile = { telegramId: 1, firstName: "Anna", lastName: null, username: null, languageCode: "en" };

describe("UserService.signIn", () => {
  it("writes an unchanged profile once, then again only when it changes or ten minutes pass", async () => {
    const { repo, writes } = usersOnly();
    const users = new UserService(repo, {});
    const t0 = new Date("2026-12-01T10:00:00Z");
    const first = await users.signIn(anna, t0);
    expect(await users.signIn(anna, new Date(t0.getTime() + 60_000))).toEqual(first);
    expect(writes).toEqual(["upsert"]);
    await users.signIn({ ...anna, firstName: "Anya" }, new Date(t0.getTime() + 120_000));
    expect(writes).toEqual(["upsert", "upsert"]);
    await users.signIn({ ...anna, firstName: "Anya" }, new Date(t0.getTime() + 13 * 60_000));
    expect(writes).toEqual(["upsert", "upsert", "upsert"]);
  });

  it("remembers a language switch and forgets the user after their data is deleted", async () => {
    const { repo, writes } = usersOnly();
    const users = new UserService(repo, {});
    const now = new Date();
    const user = await users.signIn(anna, now);
    await users.setLanguage(user.id, "ru");
    expect((await users.signIn(anna, now)).languageCode).toBe("ru");
    users.forget();
    await users.signIn(anna, now);
    expect(writes).toEqual(["upsert", "language", "upsert"]);
  });
});
