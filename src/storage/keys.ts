/** The spec's storage layout, key for key: avatars/user_{user_id}/avatar_{avatar_id}/... */
export function avatarPrefix(userId: string, avatarId: string): string {
  return `avatars/user_${userId}/avatar_${avatarId}/`;
}

export function userPrefix(userId: string): string {
  return `avatars/user_${userId}/`;
}
