// Taking a reference photo with the browser camera (getUserMedia). The stream is only opened on
// request and stopped when the photo is taken, the page changes or the person changes; the
// frame goes straight to the upload as a JPEG and is kept nowhere in the browser.
import { h, statusLine } from '../dom.js';

export function cameraCapture(upload: (photo: Blob) => Promise<void>): { element: HTMLElement; stop: () => void } {
  const video = h('video', { playsinline: true, muted: true, 'aria-label': 'Camera preview', hidden: true });
  const start = h('button', { type: 'button', class: 'secondary' }, 'Use camera');
  const take = h('button', { type: 'button', hidden: true }, 'Take photo');
  const status = statusLine();
  let stream: MediaStream | null = null;

  const stop = (): void => {
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    take.hidden = true;
    start.textContent = 'Use camera';
  };

  start.addEventListener('click', () => {
    if (stream) return stop();
    if (!navigator.mediaDevices?.getUserMedia) {
      status.textContent = 'This browser gives no camera access here (it needs HTTPS or localhost).';
      return;
    }
    navigator.mediaDevices
      .getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 960 }, facingMode: 'user' }, audio: false })
      .then(async (s) => {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        start.textContent = 'Stop camera';
        await video.play();
        // Only now: before the first frame the video has no size, and a photo would be empty.
        take.hidden = false;
        status.textContent = 'Look at the camera without a mask, then take the photo.';
        take.focus();
      })
      .catch((err: unknown) => (status.textContent = `No camera: ${err instanceof Error ? err.message : String(err)}`));
  });

  take.addEventListener('click', () => {
    if (video.videoWidth === 0 || video.videoHeight === 0) {
      status.textContent = 'The camera has not shown a picture yet; take the photo again in a moment.';
      return;
    }
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d')!.drawImage(video, 0, 0);
    stop();
    status.textContent = 'Photo taken.';
    canvas.toBlob((blob) => {
      if (blob) void upload(blob);
      else status.textContent = 'The camera gave no picture.';
    }, 'image/jpeg', 0.92);
  });

  const element = h('div', { class: 'camera', role: 'group', 'aria-label': 'Camera' }, start, take, video, status);
  return { element, stop };
}
