// The demo page's attachments: pick a file, upload it with a progress line, send it with the next
// message; show image attachments inline and others as download links (signed URLs: an <img> or a
// link cannot send the user token).

import { isInlineImage, signedUrlCache, type Attachment, type ChatClient, type Upload } from '../../../sdk/src/index'

type El = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string | boolean | undefined>, ...children: (Node | string | null | undefined)[]) => HTMLElementTagNameMap[K]

export function createAttachments(h: El, getClient: () => ChatClient | null, onError: (e: unknown) => void) {
  let pending: Upload[] = []
  let urlOf: ((uploadId: string) => Promise<string>) | null = null
  let urlClient: ChatClient | null = null
  const status = document.getElementById('attach-status')!

  const signed = (uploadId: string): Promise<string> => {
    const client = getClient()
    if (!client) return Promise.reject(new Error('not signed in'))
    if (urlClient !== client) {
      urlClient = client
      urlOf = signedUrlCache((id) => client.rest.uploadUrl(id))
    }
    return urlOf!(uploadId)
  }

  function renderPending() {
    status.replaceChildren(
      ...pending.map((u) => {
        const remove = h('button', { class: 'link', type: 'button', 'aria-label': `remove ${u.filename}` }, '×')
        remove.addEventListener('click', () => {
          pending = pending.filter((p) => p.upload_id !== u.upload_id)
          renderPending()
        })
        return h('span', { class: 'pending', 'data-upload-id': u.upload_id }, u.filename, remove)
      }),
    )
  }

  async function upload(file: File) {
    const client = getClient()
    if (!client) return
    const line = h('span', { class: 'progress' }, `${file.name}: 0%`)
    status.append(line)
    try {
      const up = await client.rest.uploadFile(file, {
        onProgress: (sent, total) => (line.textContent = `${file.name}: ${total ? Math.round((sent / total) * 100) : 100}%`),
      })
      pending.push(up)
    } catch (e) {
      onError(e)
    } finally {
      line.remove()
      renderPending()
    }
  }

  /** One attachment of a message: an image shown inline, or a download link. */
  function view(a: Attachment): HTMLElement {
    const size = a.bytes < 1024 ? `${a.bytes} B` : a.bytes < 1048576 ? `${(a.bytes / 1024).toFixed(1)} KiB` : `${(a.bytes / 1048576).toFixed(1)} MiB`
    if (isInlineImage(a)) {
      const img = h('img', { class: 'attachment-image', alt: a.filename, 'data-upload-id': a.upload_id })
      if (a.width && a.height) img.style.aspectRatio = `${a.width} / ${a.height}`
      signed(a.upload_id).then((url) => (img.src = url), onError)
      return img
    }
    const link = h('a', { class: 'attachment-file', download: a.filename, 'data-upload-id': a.upload_id }, `${a.filename} (${size})`)
    signed(a.upload_id).then((url) => (link.href = url), onError)
    return link
  }

  return {
    upload,
    view,
    /** The uploads to send with the next message (then cleared). */
    take(): string[] {
      const ids = pending.map((p) => p.upload_id)
      pending = []
      renderPending()
      return ids
    },
    /** The name to send as the content of a message that is only files. */
    fallbackContent: () => pending.map((p) => p.filename).join(', '),
    hasPending: () => pending.length > 0,
  }
}
