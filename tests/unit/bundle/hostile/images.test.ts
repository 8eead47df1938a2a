/**
 * The importer's picture checks beyond the SHA-256 (checkBundleImage): the real type sniffed from
 * the bytes, the pixel limit on the declared size, and the decode. The decoder here is a fake that
 * reads the header (Node has no createImageBitmap); the e2e runs the browser's.
 */
import { describe, expect, it } from 'vitest';
import { checkBundleImage, MAX_BUNDLE_IMAGE_PIXELS } from '../../../../src/lib/services/bundle.service';
import { readImageHeader } from '../../../../src/lib/services/image-header';
import type { BundleImage } from '../../../../src/lib/bundle/manifest';
import { makePng } from '../../../e2e/helpers/png';

const png = makePng(8, 6, 1);
const image = (over: Partial<BundleImage> = {}): BundleImage =>
  ({
    sha256: 'ab'.repeat(32),
    mime: 'image/png',
    width: 8,
    height: 6,
    bytes: png.length,
    ...over,
  }) as BundleImage;
/** Decodes only what has a whole header and an IEND chunk at its end (a cut PNG does not decode). */
const decode = async (blob: Blob) => {
  const b = new Uint8Array(await blob.arrayBuffer());
  const size = readImageHeader(b);
  const tail = new TextDecoder('latin1').decode(b.subarray(b.length - 8, b.length - 4));
  if (!size || tail !== 'IEND') throw new Error('does not decode');
  return size;
};
const bytes = (b: Uint8Array | Buffer) => new Uint8Array(b);

describe('the importer’s picture checks', () => {
  it('accepts a PNG that is what its manifest says', async () => {
    const blob = await checkBundleImage(bytes(png), image(), 'ok.storyloom', decode);
    expect(blob.type).toBe('image/png');
  });

  it('refuses a PNG named as a JPEG', async () => {
    await expect(
      checkBundleImage(bytes(png), image({ mime: 'image/jpeg' }), 'x.storyloom', decode),
    ).rejects.toThrow(
      /“x.storyloom”: the picture abababababab… is not the image\/jpeg its manifest says; only PNG, JPEG and WebP/,
    );
  });

  it('refuses a truncated PNG (it does not decode)', async () => {
    const cut = bytes(png).subarray(0, png.length - 20);
    await expect(checkBundleImage(cut, image(), 'cut.storyloom', decode)).rejects.toThrow(
      /“cut.storyloom”: the picture abababababab… does not decode\./,
    );
  });

  it('refuses a picture over the pixel limit from its declared size, before decoding', async () => {
    let decoded = false;
    const side = Math.ceil(Math.sqrt(MAX_BUNDLE_IMAGE_PIXELS)) + 1;
    await expect(
      checkBundleImage(bytes(png), image({ width: side, height: side }), 'big.storyloom', async (b) => {
        decoded = true;
        return decode(b);
      }),
    ).rejects.toThrow(
      new RegExp(`a picture is ${side} × ${side} pixels; at most 40 megapixels are accepted`),
    );
    expect(decoded).toBe(false);
  });

  it.each([
    ['GIF', 'image/gif', new TextEncoder().encode('GIF89a\u0008\u0000\u0006\u0000')],
    ['SVG', 'image/svg+xml', new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['BMP', 'image/bmp', new Uint8Array([0x42, 0x4d, 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0])],
  ])('refuses a %s picture: only PNG, JPEG and WebP', async (_kind, mime, data) => {
    for (const declared of [mime, 'image/png'])
      await expect(
        checkBundleImage(data, image({ mime: declared as BundleImage['mime'] }), 'f.storyloom', decode),
      ).rejects.toThrow(/only PNG, JPEG and WebP pictures are accepted/);
  });
});
