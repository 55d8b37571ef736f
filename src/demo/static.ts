// The demo page's HTML and CSS, as text imports (embedded in the compiled binary).

import html from './page/index.html' with { type: 'text' }
import css from './page/app.css' with { type: 'text' }

/** bun-types declares *.html as an HTML bundle; `with { type: 'text' }` makes it the file's text. */
export const demoHtml: string = html as unknown as string
export const demoCss: string = css
