/** The one key pair test/servers/s3-server.ts accepts, and its bucket; shared by the server and the tests. */
export const S3_TEST_CREDENTIALS = { accessKeyId: "avatar-test-key", secretAccessKey: "avatar-test-secret" };
export const S3_TEST_BUCKET = "avatars";
