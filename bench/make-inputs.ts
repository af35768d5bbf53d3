// Writes the benchmark's input pictures (a detailed synthetic portrait) in every format and size.
import { mkdirSync, writeFileSync } from "node:fs";
import { cutOut, jpeg, picture, png, webp } from "../test/corpus/images";

const [, , dir, label, width, height] = process.argv;
mkdirSync(dir as string, { recursive: true });
const image = picture(Number(width), Number(height), 7);
// Photographic detail, so encoders work as hard as on a real photo.
for (let i = 0; i < image.data.length; i += 4) {
  const noise = ((i * 2654435761) >>> 24) % 23;
  image.data[i] = (image.data[i] ?? 0) + noise;
  image.data[i + 1] = (image.data[i + 1] ?? 0) + noise;
}
writeFileSync(`${dir}/${label}.jpg`, await jpeg(image, { quality: 88 }));
writeFileSync(`${dir}/${label}.progressive.jpg`, await jpeg(image, { quality: 88, progressive: true }));
// 4:4:4 chroma: a progressive file of it keeps twice the coefficients of 4:2:0 (compact-coef.patch's case).
writeFileSync(
  `${dir}/${label}.progressive444.jpg`,
  await jpeg(image, { quality: 88, progressive: true, chroma: "4:4:4" }),
);
writeFileSync(`${dir}/${label}.png`, await png(image));
writeFileSync(`${dir}/${label}.webp`, await webp(image));
writeFileSync(`${dir}/${label}.lossless.webp`, await webp(image, true));
writeFileSync(`${dir}/${label}.alpha.webp`, await webp(cutOut(image)));
