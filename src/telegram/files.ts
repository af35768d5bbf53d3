import { GrammyError } from "grammy";
import type { Settings } from "../config/settings";
import { PHOTO_CHECK } from "../domain/photo-check-lifecycle";
import { FileDownloadError } from "../domain/ports";
import { telegramApi } from "./api";

/** Downloads a file the user sent: getFile, then `${apiRoot}/file/bot<token>/<file_path>`. */
export async function downloadTelegramFile(settings: Settings, fileId: string, maxBytes: number): Promise<Uint8Array> {
  const api = telegramApi(settings);
  let filePath: string | undefined;
  try {
    const file = await api.getFile(fileId);
    if (file.file_size !== undefined && file.file_size > maxBytes) {
      throw new FileDownloadError("too_big", `file is ${file.file_size} bytes`);
    }
    filePath = file.file_path;
  } catch (error) {
    if (error instanceof FileDownloadError) throw error;
    if (error instanceof GrammyError && error.description.includes("file is too big")) {
      throw new FileDownloadError("too_big", error.description);
    }
    if (error instanceof GrammyError && error.error_code === 400)
      throw new FileDownloadError("gone", error.description);
    throw new FileDownloadError("unavailable", error instanceof Error ? error.message : String(error));
  }
  if (!filePath) throw new FileDownloadError("gone", "getFile returned no file_path");
  const response = await fetch(`${settings.telegramApiRoot}/file/bot${settings.telegramBotToken}/${filePath}`, {
    signal: AbortSignal.timeout(PHOTO_CHECK.downloadMs),
  });
  if (response.status === 404) throw new FileDownloadError("gone", "file not found");
  if (!response.ok) throw new FileDownloadError("unavailable", `download answered ${response.status}`);
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new FileDownloadError("too_big", `download is ${declared} bytes`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > maxBytes) throw new FileDownloadError("too_big", `download is ${bytes.length} bytes`);
  return bytes;
}
